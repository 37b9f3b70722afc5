import type { Command } from 'commander';
import { createToken, revokeToken } from '../admin/operations.js';
import type { TokenInfo } from '../domain/apps.js';
import { action, collect, withStore } from './context.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<TokenInfo>[] = [
  { header: 'token_id', value: (t) => t.token_id },
  { header: 'prefix', value: (t) => `${t.token_prefix}…` },
  { header: 'name', value: (t) => t.name },
  { header: 'apps', value: (t) => t.app_ids },
  { header: 'secret', value: (t) => (t.has_secret ? 'yes' : 'no') },
  { header: 'created_at', value: (t) => t.created_at },
  { header: 'revoked_at', value: (t) => t.revoked_at },
];

export function registerTokensCommand(program: Command): void {
  const tokens = program.command('tokens').description('issue, list and revoke API tokens');

  tokens
    .command('create')
    .description('issue a token that may write to the given apps only (shown once)')
    .requiredOption('--app <app_id>', 'an app the token may write to (repeat for several)', collect)
    .option('--secret', 'also issue the signing secret that signed endpoints check')
    .option('--name <name>', 'a label, e.g. the partner using it')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string[]; secret?: boolean; name?: string; json?: boolean }) => {
        const issued = await withStore((store) =>
          createToken(store, { app_ids: opts.app, secret: Boolean(opts.secret), name: opts.name }),
        );
        printRecord(Boolean(opts.json), { ...issued });
      }),
    );

  tokens
    .command('list')
    .description('list tokens (only their first characters: tokens are stored hashed)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const list = await withStore((store) => store.listTokens());
        printResult(Boolean(opts.json), { tokens: list }, list, COLUMNS);
      }),
    );

  tokens
    .command('revoke')
    .description('revoke a token, given the token itself or its token_id; running servers refuse it within seconds')
    .argument('<token>', 'the token or its token_id')
    .option('--json', 'print JSON')
    .action(
      action(async (token: string, opts: { json?: boolean }) => {
        const info = await withStore((store) => revokeToken(store, token));
        printRecord(Boolean(opts.json), { ...info });
      }),
    );
}

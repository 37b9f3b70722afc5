import type { Command } from 'commander';
import { forgetUsers, listErasures, type ErasureReceipt } from '../admin/erasure.js';
import { action, collect, withStore } from './context.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<ErasureReceipt>[] = [
  { header: 'erasure_id', value: (e) => e.erasure_id },
  { header: 'requested_at', value: (e) => e.requested_at },
  { header: 'source', value: (e) => e.source },
  { header: 'users', value: (e) => e.users },
  { header: 'rows', value: (e) => Object.entries(e.rows).map(([table, n]) => `${table}=${n}`).join(' ') },
];

export function registerForgetCommand(program: Command): void {
  program
    .command('forget')
    .description("erase a user of an app at its owner's request: its ids, clicks, events and outbox entries go; its installs stay counted, without IP or user agent")
    .requiredOption('--app <app_id>', 'the app (other apps keep their data)')
    .option('--device <id>', 'a device id of any kind: IDFA, GAID, IDFV, Android id, Adjust adid … (repeatable)', collect)
    .option('--user <user_id>', "the sender's user id (repeatable)", collect)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; device?: string[]; user?: string[]; json?: boolean }) => {
        const done = await withStore((store) => forgetUsers(store, { app_id: opts.app, devices: opts.device, user_ids: opts.user }, 'cli'));
        printRecord(Boolean(opts.json), { ...done, rows: JSON.stringify(done.rows) }, done);
      }),
    );
  program
    .command('erasures')
    .description("the app's erasures, newest first: when, who asked, how many users and rows (never the ids)")
    .requiredOption('--app <app_id>', 'the app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; json?: boolean }) => {
        const erasures = await withStore((store) => listErasures(store, opts.app));
        printResult(Boolean(opts.json), { erasures }, erasures, COLUMNS);
      }),
    );
}

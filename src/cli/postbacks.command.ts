import type { Command } from 'commander';
import * as ops from '../admin/postback-operations.js';
import { loadConfig } from '../config.js';
import { CHARTBOOST_BASE_URL, FORMAT_SPECS, POSTBACK_FORMATS } from '../postbacks/formats/index.js';
import { action, requireApp, withStore } from './context.js';
import { wholeNumber } from './options.js';
import { printRecord, printResult, type Column } from './output.js';

const POSTBACK_COLUMNS: Column<ops.PostbackView>[] = [
  { header: 'postback_id', value: (p) => p.postback_id },
  { header: 'app_id', value: (p) => p.app_id },
  { header: 'network', value: (p) => p.network },
  { header: 'format', value: (p) => p.format },
  { header: 'url', value: (p) => p.url },
  { header: 'events', value: (p) => p.events ?? '(default)' },
];

export const DELIVERY_COLUMNS: Column<ops.DeliveryView>[] = [
  { header: 'delivery_id', value: (d) => d.delivery_id },
  { header: 'trigger', value: (d) => d.trigger },
  { header: 'status', value: (d) => d.status },
  { header: 'attempts', value: (d) => d.attempts },
  { header: 'last', value: (d) => d.last_status ?? d.last_error },
  { header: 'next_attempt_at', value: (d) => d.next_attempt_at },
  { header: 'url', value: (d) => d.url },
];

type Attempt = ops.AttemptView & { delivery_id: string };
const ATTEMPT_COLUMNS: Column<Attempt>[] = [
  { header: 'delivery_id', value: (a) => a.delivery_id },
  { header: 'attempted_at', value: (a) => a.attempted_at },
  { header: 'status', value: (a) => a.status_code },
  { header: 'latency_ms', value: (a) => a.latency_ms },
  { header: 'error', value: (a) => a.error },
  // The start of the answer, on one line.
  { header: 'answer', value: (a) => (a.response_start === null ? null : a.response_start.replace(/\s+/g, ' ').slice(0, 80)) },
];

/** The formats that sign their requests, for `--secret`'s help. */
const signing = FORMAT_SPECS.filter((spec) => spec.credentials.secret !== 'optional').map((spec) => spec.name);

export function registerPostbacksCommand(program: Command): void {
  const postbacks = program.command('postbacks').description('outbound postbacks to ad networks, and their delivery log');

  postbacks
    .command('add')
    .description('send installs, opens or events of an app to a network')
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--network <name>', 'the network; installs attributed to it are its own')
    .requiredOption('--format <format>', POSTBACK_FORMATS.join(' | '))
    .option('--url <url>', `base URL for Chartboost formats (default ${CHARTBOOST_BASE_URL}), or a URL template with {macros}`)
    .option('--token <token>', "the network's API token")
    .option('--secret <secret>', `the signing secret (${signing.join(', ')})`)
    .option('--app-signature <sig>', "the app's signature at the network (default: this server's)")
    .option('--events <list>', 'narrow what is sent: install,open,purchase or event ids')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; network: string; format: string; url?: string; token?: string; secret?: string; appSignature?: string; events?: string; json?: boolean }) => {
        const input = {
          app_id: opts.app,
          network: opts.network,
          format: opts.format,
          url: opts.url,
          token: opts.token,
          secret: opts.secret,
          app_signature: opts.appSignature,
          events: opts.events?.split(',').map((e) => e.trim()).filter(Boolean),
        };
        const created = await withStore((store) => ops.addPostback(store, input));
        printRecord(Boolean(opts.json), { ...created });
      }),
    );

  postbacks
    .command('list')
    .description('list active postbacks')
    .option('--app <app_id>', 'only this app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app?: string; json?: boolean }) => {
        const list = await withStore(async (store) => {
          if (opts.app !== undefined) await requireApp(store, opts.app);
          return ops.listPostbacks(store, opts.app);
        });
        printResult(Boolean(opts.json), { postbacks: list }, list, POSTBACK_COLUMNS);
      }),
    );

  postbacks
    .command('remove')
    .description('stop a postback (its delivery log stays)')
    .argument('<postback_id>')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { json?: boolean }) => {
        printRecord(Boolean(opts.json), await withStore((store) => ops.removePostback(store, id)));
      }),
    );

  postbacks
    .command('log')
    .description('the delivery log, newest first')
    .option('--app <app_id>', 'only this app')
    .option('--status <status>', 'pending | delivered | failed | dead')
    .option('--limit <n>', 'how many, at most 10000', wholeNumber('--limit', { min: 1, max: 10_000 }), 100)
    .option('--attempts', 'each attempt too: time, status, latency, error, the start of the answer')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app?: string; status?: string; limit: number; attempts?: boolean; json?: boolean }) => {
        const list = await withStore(async (store) => {
          if (opts.app !== undefined) await requireApp(store, opts.app);
          const log = await ops.deliveryLog(store, { appId: opts.app, status: opts.status, limit: opts.limit });
          if (!opts.attempts) return log;
          const full = [];
          for (const d of log) full.push(await ops.deliveryWithAttempts(store, d.delivery_id));
          return full;
        });
        if (opts.json || !opts.attempts) {
          printResult(Boolean(opts.json), { deliveries: list }, list, DELIVERY_COLUMNS);
          return;
        }
        printResult(false, null, list, DELIVERY_COLUMNS);
        const attempts = list.flatMap((d) => ('attempts_log' in d ? (d.attempts_log as ops.AttemptView[]).map((a) => ({ ...a, delivery_id: d.delivery_id })) : []));
        process.stdout.write('\nattempts\n');
        printResult(false, null, attempts, ATTEMPT_COLUMNS);
      }),
    );

  postbacks
    .command('show')
    .description('one delivery and every attempt at it: time, status, latency, error, the start of the answer')
    .argument('<delivery_id>')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { json?: boolean }) => {
        const delivery = await withStore((store) => ops.deliveryWithAttempts(store, id));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(delivery, null, 2)}\n`);
          return;
        }
        const { attempts_log: attempts, ...rest } = delivery;
        printRecord(false, { ...rest });
        process.stdout.write('\nattempts\n');
        printResult(false, null, attempts.map((a) => ({ ...a, delivery_id: id })), ATTEMPT_COLUMNS);
      }),
    );

  postbacks
    .command('retry')
    .description('send a failed or dead delivery again (a running server picks it up)')
    .argument('<delivery_id>')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { json?: boolean }) => {
        const ttl = loadConfig(process.env).retryTtlMs;
        printRecord(Boolean(opts.json), { ...(await withStore((store) => ops.retryDelivery(store, id, ttl))) });
      }),
    );
}

import type { Command } from 'commander';
import * as webhooks from '../admin/webhook-operations.js';
import { MAX_BATCH_SIZE, WEBHOOK_EVENTS } from '../postbacks/formats/webhook.js';
import { action, requireApp, withStore } from './context.js';
import { wholeNumber } from './options.js';
import { printRecord, printResult, type Column } from './output.js';
import { DELIVERY_COLUMNS } from './postbacks.command.js';

const WEBHOOK_COLUMNS: Column<webhooks.WebhookView>[] = [
  { header: 'webhook_id', value: (w) => w.webhook_id },
  { header: 'app_id', value: (w) => w.app_id },
  { header: 'url', value: (w) => w.url },
  { header: 'events', value: (w) => w.events?.join(',') ?? '(all)' },
  { header: 'batch_size', value: (w) => w.batch_size },
];

export function registerWebhooksCommand(program: Command): void {
  const command = program.command('webhooks').description("every record of an app, as signed JSON, to the studio's own URL (docs/webhooks.md)");

  command
    .command('add')
    .description('POST installs, engagements, rejections and events of an app to a URL, signed with HMAC-SHA256')
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--url <url>', 'the http(s) URL the records are POSTed to')
    .option('--events <list>', `narrow what is sent: ${WEBHOOK_EVENTS.join(',')} or event names (default: all)`)
    .option('--secret <secret>', 'the signing key, at least 16 characters (default: a new random one, printed once)')
    .option('--batch <n>', `up to how many records one request carries, at most ${MAX_BATCH_SIZE}`, wholeNumber('--batch', { min: 1, max: MAX_BATCH_SIZE }))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; url: string; events?: string; secret?: string; batch?: number; json?: boolean }) => {
        const input = {
          app_id: opts.app,
          url: opts.url,
          events: opts.events?.split(',').map((e) => e.trim()).filter(Boolean),
          secret: opts.secret,
          batch_size: opts.batch,
        };
        const created = await withStore((store) => webhooks.addWebhook(store, input));
        printRecord(Boolean(opts.json), { ...created, events: created.events?.join(',') ?? '(all)' });
        if (!opts.json) process.stderr.write('The secret is shown only now: the receiver verifies the s2s-signature header with it.\n');
      }),
    );

  command
    .command('list')
    .description('list active webhooks')
    .option('--app <app_id>', 'only this app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app?: string; json?: boolean }) => {
        const list = await withStore(async (store) => {
          if (opts.app !== undefined) await requireApp(store, opts.app);
          return webhooks.listWebhooks(store, opts.app);
        });
        printResult(Boolean(opts.json), { webhooks: list }, list, WEBHOOK_COLUMNS);
      }),
    );

  command
    .command('remove')
    .description('stop a webhook (records already queued are still sent; its delivery log stays)')
    .argument('<webhook_id>')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { json?: boolean }) => {
        printRecord(Boolean(opts.json), await withStore((store) => webhooks.removeWebhook(store, id)));
      }),
    );

  command
    .command('log')
    .description("a webhook's deliveries, newest first (s2s postbacks show / retry take their ids)")
    .argument('<webhook_id>')
    .option('--status <status>', 'pending | delivered | failed | dead')
    .option('--limit <n>', 'how many, at most 10000', wholeNumber('--limit', { min: 1, max: 10_000 }), 100)
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, opts: { status?: string; limit: number; json?: boolean }) => {
        const list = await withStore((store) => webhooks.webhookLog(store, id, { status: opts.status, limit: opts.limit }));
        printResult(Boolean(opts.json), { deliveries: list }, list, DELIVERY_COLUMNS);
      }),
    );
}

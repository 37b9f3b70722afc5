import type { Command } from 'commander';
import { badRequest, notFound } from '../errors.js';
import { segmentAudience } from '../reports/segments.js';
import { action, withStore } from './context.js';
import { formatCsv } from './output.js';

export function registerAudienceCommand(program: Command): void {
  const audience = program.command('audience').description('export device lists for retargeting or exclusion');

  audience
    .command('export')
    .description('list device ids: of a segment (--segment ID), or every device the app has seen (--known-devices, for exclusion)')
    .requiredOption('--app <app_id>', 'the app')
    .option('--segment <segment_id>', 'the users of a segment (s2s segments create)')
    .option('--known-devices', 'every device id seen by an open, install or event')
    .option('--format <format>', 'json or csv', 'json')
    .option('--json', 'same as --format json')
    .action(
      action(async (opts: { app: string; segment?: string; knownDevices?: boolean; format: string; json?: boolean }) => {
        const format = opts.json ? 'json' : opts.format;
        if (format !== 'json' && format !== 'csv') throw badRequest('format: must be json or csv');
        if (Boolean(opts.knownDevices) === (opts.segment !== undefined)) throw badRequest('audience: choose what to export (--segment ID or --known-devices)');
        const devices = await withStore(async (store) => {
          if (!(await store.getApp(opts.app))) throw notFound(`app: unknown app ${opts.app}`);
          return opts.segment !== undefined ? segmentAudience(store, opts.app, opts.segment) : store.listKnownDevices(opts.app);
        });
        if (format === 'json') {
          process.stdout.write(`${JSON.stringify({ devices: devices.map((d) => ({ [d.kind]: d.value })) })}\n`);
          return;
        }
        process.stdout.write(formatCsv(['device_id_type', 'device_id'], devices.map((d) => [d.kind, d.value])));
      }),
    );
}

import type { Command } from 'commander';
import { badRequest } from '../errors.js';
import { action, withStore } from './context.js';
import { duration } from './options.js';
import { printRecord } from './output.js';
import { retentionCutoff } from '../ops/retention.js';

/** Pruning anything younger would cut into attribution windows (at most 90 days). */
const MIN_AGE_DAYS = 90;

export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description(
      'remove IP addresses and user agents older than S2S_RETAIN_IP_DAYS (30 by default) from clicks, views, events and installs; with --older-than, also delete clicks, views and events older than that (whole monthly partitions on PostgreSQL); users, installs and reports stay',
    )
    .option('--older-than <duration>', `e.g. 400d (at least ${MIN_AGE_DAYS}d)`, duration('--older-than', '400d'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { olderThan?: number; json?: boolean }) => {
        const seconds = opts.olderThan;
        if (seconds !== undefined && seconds < MIN_AGE_DAYS * 86_400) throw badRequest(`--older-than: at least ${MIN_AGE_DAYS}d, so no attribution window loses its clicks`);
        const now = Date.now();
        const result = await withStore(async (store, config) => {
          const ipCutoff = retentionCutoff(now, config.retainIpDays);
          // Every row, not only those since the daily job's last run: user-agent-only clicks too.
          const stripped = await store.stripNetworkData(ipCutoff, 0, true);
          const base = { ip_cutoff: new Date(ipCutoff).toISOString(), stripped_rows: stripped };
          if (seconds === undefined) return { ...base, report: undefined };
          const cutoff = now - seconds * 1000;
          return { ...base, cutoff: new Date(cutoff).toISOString(), report: await store.prune(cutoff) };
        });
        const { report, ...rest } = result;
        const full = { ...rest, ...(report ?? {}) };
        printRecord(Boolean(opts.json), { ...full, ...(report ? { dropped_partitions: report.dropped_partitions.length } : {}) }, full);
      }),
    );
}

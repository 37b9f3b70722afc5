import type { Command } from 'commander';
import { badRequest } from '../errors.js';
import { action, withStore } from './context.js';
import { duration } from './options.js';
import { printRecord } from './output.js';

/** Pruning anything younger would cut into attribution windows (at most 90 days). */
const MIN_AGE_DAYS = 90;

export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('delete clicks, views and events older than a duration: whole monthly partitions on PostgreSQL; users, installs and reports stay')
    .requiredOption('--older-than <duration>', `e.g. 400d (at least ${MIN_AGE_DAYS}d)`, duration('--older-than', '400d'))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { olderThan: number; json?: boolean }) => {
        const seconds = opts.olderThan;
        if (seconds < MIN_AGE_DAYS * 86_400) throw badRequest(`--older-than: at least ${MIN_AGE_DAYS}d, so no attribution window loses its clicks`);
        const cutoff = Date.now() - seconds * 1000;
        const report = await withStore((store) => store.prune(cutoff));
        const result = { cutoff: new Date(cutoff).toISOString(), ...report };
        printRecord(Boolean(opts.json), { ...result, dropped_partitions: report.dropped_partitions.length, deleted_rows: report.deleted_rows }, result);
      }),
    );
}

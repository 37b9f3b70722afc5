import type { Command } from 'commander';
import { Catalog } from '../ingest/catalog.js';
import { replaySetAside } from '../ingest/journal.js';
import { action, withStore } from './context.js';
import { printRecord } from './output.js';

/** `s2s journal`: the ingest journal's set-aside entries (S2S_INGEST_JOURNAL=on). */
export function registerJournalCommand(program: Command): void {
  const journal = program.command('journal').description('the ingest journal (S2S_INGEST_JOURNAL=on): entries waiting and set aside');

  journal
    .command('status')
    .description('count the entries waiting to be recorded and those set aside as failed')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const counts = await withStore((store) => store.countJournal());
        printRecord(Boolean(opts.json), counts);
      }),
    );

  journal
    .command('replay')
    .description('record the entries set aside as failed; one that fails again stays set aside with its error (exit 1)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const report = await withStore((store, config) => {
          const catalog = new Catalog(store, 0);
          const context = { postbacksFor: (appId: string) => catalog.getPostbacks(appId), retryTtlMs: config.retryTtlMs, rates: () => catalog.getRates() };
          return replaySetAside(store, context, (appId) => catalog.getApp(appId));
        });
        const { firstFailure, ...counts } = report;
        printRecord(Boolean(opts.json), counts);
        if (firstFailure) {
          throw new Error(`journal: ${report.failed} of ${report.replayed} entries still cannot be recorded (seq ${firstFailure.seq}: ${firstFailure.error})`);
        }
      }),
    );
}

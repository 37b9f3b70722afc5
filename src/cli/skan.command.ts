import type { Command } from 'commander';
import { listSkan, MAX_SKAN_LIST, type ListedPostback } from '../reports/skan.js';
import { action, withStore } from './context.js';
import { wholeNumber } from './options.js';
import { printResult, type Column } from './output.js';

const COLUMNS: Column<ListedPostback>[] = (['received_at', 'kind', 'version', 'ad_network_id', 'transaction_id', 'sequence_index', 'source_identifier', 'did_win', 'conversion_value', 'coarse_conversion_value', 'verification'] as const).map(
  (name) => ({ header: name, value: (row: ListedPostback) => row[name] }),
);

export function registerSkanCommand(program: Command): void {
  const skan = program.command('skan').description("Apple's SKAdNetwork and AdAttributionKit postbacks");
  skan
    .command('list')
    .description("an app's postbacks, newest first, with what each signature came to (only verified ones count)")
    .requiredOption('--app <app_id>', 'the app')
    .option('--limit <n>', `at most this many (default 100, at most ${MAX_SKAN_LIST})`, wholeNumber('--limit', { min: 1, max: MAX_SKAN_LIST }))
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; limit?: number; json?: boolean }) => {
        const postbacks = await withStore((store) => listSkan(store, opts.app, opts.limit));
        printResult(Boolean(opts.json), { postbacks }, postbacks, COLUMNS);
      }),
    );
}

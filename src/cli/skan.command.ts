import type { Command } from 'commander';
import fs from 'node:fs';
import { badRequest } from '../errors.js';
import { defaultRange } from '../reports/report.js';
import { listSkan, mapSkanSource, MAX_SKAN_LIST, setSkanSchema, skanMappings, skanReportFor, skanSchema, type ListedPostback, type SkanReport } from '../reports/skan.js';
import type { SkanMapping } from '../storage/store.js';
import { action, withStore } from './context.js';
import { wholeNumber } from './options.js';
import { printResult, type Column } from './output.js';

const MAP_COLUMNS: Column<SkanMapping>[] = (['ad_network_id', 'source_identifier', 'campaign_id'] as const).map((name) => ({ header: name, value: (m: SkanMapping) => m[name] }));
type ReportRow = SkanReport['rows'][number];
const REPORT_COLUMNS: Column<ReportRow>[] = [
  { header: 'campaign', value: (r) => r.campaign_name ?? r.campaign_id ?? `${r.ad_network_id} ${r.source_identifier ?? '-'}` },
  { header: 'window', value: (r) => r.sequence_index },
  { header: 'did_win', value: (r) => r.did_win },
  { header: 'fidelity', value: (r) => r.fidelity_type },
  { header: 'postbacks', value: (r) => r.postbacks },
  { header: 'conversion_values', value: (r) => Object.entries(r.conversion_values).map(([v, n]) => `${v}:${n}`).join(' ') },
  { header: 'estimated_revenue_usd', value: (r) => r.estimated_revenue_usd },
];

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

  skan
    .command('map')
    .description("credit an ad network's campaign-id (SKAdNetwork before 4.0) or source-identifier to a campaign of the app")
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--network-id <id>', 'the ad network id the postbacks carry, e.g. example123.skadnetwork')
    .requiredOption('--source-id <digits>', 'the campaign-id or source-identifier, e.g. 5239')
    .option('--campaign <campaign_id>', 'the campaign it stands for')
    .option('--remove', 'remove the mapping instead')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; networkId: string; sourceId: string; campaign?: string; remove?: boolean; json?: boolean }) => {
        if (opts.campaign === undefined && !opts.remove) throw badRequest('--campaign: is required (or --remove)');
        const mappings = await withStore((store) =>
          mapSkanSource(store, opts.app, { ad_network_id: opts.networkId, source_identifier: opts.sourceId, campaign_id: opts.remove ? null : opts.campaign }),
        );
        printResult(Boolean(opts.json), { mappings }, mappings, MAP_COLUMNS);
      }),
    );

  skan
    .command('maps')
    .description("the app's map of ad networks' campaign and source ids to campaigns")
    .requiredOption('--app <app_id>', 'the app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; json?: boolean }) => {
        const mappings = await withStore((store) => skanMappings(store, opts.app));
        printResult(Boolean(opts.json), { mappings }, mappings, MAP_COLUMNS);
      }),
    );

  skan
    .command('schema')
    .description('show the conversion-value schema, or with --file replace it: {"fine": {"0": {"event", "revenue_min_usd", "revenue_max_usd"}, …}, "coarse": {"low": {…}, …}}')
    .requiredOption('--app <app_id>', 'the app')
    .option('--file <path>', 'a JSON file with the whole schema')
    .option('--json', 'print JSON (the schema is printed as JSON either way)')
    .action(
      action(async (opts: { app: string; file?: string }) => {
        let input: unknown;
        if (opts.file !== undefined) {
          try {
            input = JSON.parse(fs.readFileSync(opts.file, 'utf8'));
          } catch {
            throw badRequest(`--file: cannot read JSON from ${opts.file}`);
          }
        }
        const schema = await withStore((store) => (input === undefined ? skanSchema(store, opts.app) : setSkanSchema(store, opts.app, input)));
        process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
      }),
    );

  skan
    .command('report')
    .description('verified postbacks received on the days of the range, by campaign, window (postback-sequence-index), winning or not and fidelity, with conversion values and estimated revenue')
    .requiredOption('--app <app_id>', 'the app')
    .option('--from <day>', 'YYYY-MM-DD (UTC); without --from/--to, the last 7 full days and today')
    .option('--to <day>', 'YYYY-MM-DD (UTC), inclusive')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; from?: string; to?: string; json?: boolean }) => {
        if ((opts.from === undefined) !== (opts.to === undefined)) throw badRequest('--to: give --from and --to together');
        const range = opts.from === undefined ? defaultRange(Date.now()) : { from: opts.from, to: opts.to };
        const report = await withStore((store) => skanReportFor(store, { app_id: opts.app, ...range }));
        printResult(Boolean(opts.json), report, report.rows, REPORT_COLUMNS);
      }),
    );
}

import fs from 'node:fs';
import type { Command } from 'commander';
import { parse as parseCsv } from 'csv-parse/sync';
import { badRequest } from '../errors.js';
import { defaultRange } from '../reports/report.js';
import { listCosts, replaceCosts } from '../reports/costs.js';
import { action, withStore } from './context.js';
import { printRecord, printResult } from './output.js';

const COLUMNS = (['day', 'campaign_id', 'spend', 'currency', 'spend_usd', 'impressions', 'clicks'] as const).map((name) => ({
  header: name,
  value: (row: Record<string, unknown>) => row[name],
}));

export function registerCostsCommand(program: Command): void {
  const costs = program.command('costs').description("what campaigns spent, by day: reports use it instead of CPI × installs");

  costs
    .command('import')
    .description('read a spend report (CSV with a header row: day, campaign_id or network and campaign_name, spend, currency, impressions, clicks); the days it names are replaced whole')
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--file <path>', 'the CSV file')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; file: string; json?: boolean }) => {
        let text: string;
        try {
          text = fs.readFileSync(opts.file, 'utf8');
        } catch {
          throw badRequest(`--file: cannot read ${opts.file}`);
        }
        let records: Record<string, string>[];
        try {
          records = parseCsv(text, { columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()), skip_empty_lines: true, bom: true, trim: true });
        } catch (error) {
          throw badRequest(`--file: not CSV with a header row (${(error as Error).message})`);
        }
        // A line's number in the file: the header is line 1.
        const result = await withStore((store) => replaceCosts(store, opts.app, records, (index) => `line ${index + 2}: `));
        printRecord(Boolean(opts.json), { ...result, days: opts.json ? result.days : `${result.days[0] ?? '-'} .. ${result.days.at(-1) ?? '-'} (${result.days.length})` });
      }),
    );

  costs
    .command('list')
    .description('the recorded costs of a range of days (default: the last 7 full days and today)')
    .requiredOption('--app <app_id>', 'the app')
    .option('--from <date>', 'first day, YYYY-MM-DD')
    .option('--to <date>', 'last day, YYYY-MM-DD, included')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; from?: string; to?: string; json?: boolean }) => {
        const range = defaultRange(Date.now());
        const list = await withStore((store) => listCosts(store, opts.app, opts.from ?? range.from, opts.to ?? range.to));
        printResult(Boolean(opts.json), { costs: list }, list as Record<string, unknown>[], COLUMNS);
      }),
    );
}

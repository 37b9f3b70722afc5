import type { Command } from 'commander';
import { badRequest } from '../errors.js';
import { METRIC_COLUMNS, buildCohorts, buildReport, defaultRange, keyColumns, type CohortReport, type Report } from '../reports/report.js';
import { action, withStore } from './context.js';
import { formatCsv, formatTable, type Column } from './output.js';

interface ReportOptions {
  app: string;
  from?: string;
  to?: string;
  groupBy: string;
  cohorts?: boolean;
  json?: boolean;
  csv?: boolean;
}

/** Days shown in the cohort table for people; --json and --csv carry all of day 0..30. */
const TABLE_COHORT_DAYS = [0, 1, 2, 3, 7, 14, 30];

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('installs, retention, revenue and ROAS of the users who installed in a range of UTC days (definitions in docs/reports.md)')
    .requiredOption('--app <app_id>', 'the app')
    .option('--from <date>', 'first install day, YYYY-MM-DD (UTC); with --to. Neither: the last 7 full days and today')
    .option('--to <date>', 'last install day, YYYY-MM-DD (UTC), included')
    .option('--group-by <key>', 'day, campaign or network', 'day')
    .option('--cohorts', 'the retention matrix instead: install day x day N (0..30)')
    .option('--json', 'print {"rows": [...], "totals": {...}} (or {"cohorts": [...]})')
    .option('--csv', 'print CSV')
    .action(
      action(async (opts: ReportOptions) => {
        if (opts.json && opts.csv) throw badRequest('--json and --csv: choose one');
        if ((opts.from === undefined) !== (opts.to === undefined)) throw badRequest(`${opts.from === undefined ? '--from' : '--to'}: give --from and --to together, or neither for the last 7 full days and today`);
        const range = opts.from === undefined ? defaultRange(Date.now()) : { from: opts.from, to: opts.to! };
        // Said where a person reads it, and on stderr beside CSV so the CSV stays CSV.
        const note = opts.from === undefined ? `${range.from} to ${range.to}: the last 7 full UTC days and today (--from/--to for others)\n` : '';
        if (opts.csv) process.stderr.write(note);
        else if (!opts.json) process.stdout.write(note);
        const request = { app_id: opts.app, from: range.from, to: range.to, group_by: opts.groupBy };
        if (opts.cohorts) {
          const cohorts = await withStore((store) => buildCohorts(store, request));
          process.stdout.write(opts.json ? `${JSON.stringify(cohorts, null, 2)}\n` : opts.csv ? cohortsCsv(cohorts) : cohortsTable(cohorts));
          return;
        }
        const report = await withStore((store) => buildReport(store, request));
        const json = { ...(note ? { from: report.from, to: report.to, range: 'the last 7 full UTC days and today' } : {}), rows: report.rows, totals: report.totals };
        process.stdout.write(opts.json ? `${JSON.stringify(json, null, 2)}\n` : opts.csv ? reportCsv(report) : reportTable(report));
      }),
    );
}

function reportTable(report: Report): string {
  const keys = keyColumns(report.group_by);
  const columns: Column<Record<string, unknown>>[] = [...keys, ...METRIC_COLUMNS].map((name) => ({ header: name, value: (row) => row[name] }));
  const total: Record<string, unknown> = { ...report.totals, [keys[0]!]: 'total' };
  return formatTable([...(report.rows as unknown as Record<string, unknown>[]), total], columns);
}

function reportCsv(report: Report): string {
  const header = [...keyColumns(report.group_by), ...METRIC_COLUMNS];
  return formatCsv(header, report.rows.map((row) => header.map((name) => (row as unknown as Record<string, unknown>)[name])));
}

function cohortsTable(report: CohortReport): string {
  const columns: Column<CohortReport['cohorts'][number]>[] = [
    { header: 'install_day', value: (c) => c.day },
    { header: 'users', value: (c) => c.users },
    ...TABLE_COHORT_DAYS.map((n) => ({ header: `d${n}`, value: (c: CohortReport['cohorts'][number]) => percent(c.retention[n]) })),
  ];
  return formatTable(report.cohorts, columns);
}

function cohortsCsv(report: CohortReport): string {
  const days = report.cohorts[0]?.retention.length ?? 31;
  const header = ['install_day', 'users', ...Array.from({ length: days }, (_, n) => `d${n}`)];
  return formatCsv(header, report.cohorts.map((c) => [c.day, c.users, ...c.retention]));
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;
}

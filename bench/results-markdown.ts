/**
 * What the benches write into bench/results/ and how it reads as markdown: the benches print
 * these tables when they finish, and bench/write-doc.ts puts the same ones into
 * docs/performance.md, so the two never differ.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** When, on which code and on which machine a bench ran: the head of every results file. */
export interface RunInfo {
  date: string;
  /** `git rev-parse --short HEAD`, `-dirty` when tracked files outside bench/results/ differ from it; null outside a git checkout. */
  commit?: string | null;
  machine: { cpus: number; model?: string; node: string };
}

/** One scenario of bench/run.ts. */
export interface ScenarioResult {
  scenario: string;
  requests_per_s: number;
  /** requests_per_s × records per request. */
  records_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /**
   * records_per_s over the baseline's requests/s: the median of each repetition's ratio to the
   * baseline measured just before it (BENCH_PAIRED_BASELINE_S), or to the run's first baseline.
   */
  ratio_to_baseline: number | null;
  /** Median of the baseline measurements paired with this scenario's repetitions. */
  paired_baseline_req_s?: number;
  non_2xx: number;
  ok_responses: number;
  /** 200s over all repetitions (and warm-up excluded), to compare with rows_stored. */
  ok_total: number;
  rows_stored: number | null;
  peak_rss_mb: number;
  /**
   * The server's CPU time (all threads and worker processes) per request answered, in µs: the
   * median over repetitions.
   */
  cpu_us_per_request: number;
  /**
   * PostgreSQL's own CPU time per request answered, in µs (every `postgres` process on the
   * machine, from /proc): where a PostgreSQL scenario's lookups run. Absent on SQLite.
   */
  db_cpu_us_per_request?: number;
}

/** Scenarios compared with each other, by quotients of their ratios (null when one did not run). */
export interface Comparisons {
  s2sevent_1m_over_10k: number | null;
  postgres_s2sevent_10m_over_10k: number | null;
  s2sevent_cpu_per_request_1m_over_10k: number | null;
  postgres_2_workers_over_1: number | null;
}

/** bench/results/latest.json. */
export interface LoadRun extends RunInfo {
  settings: { duration_s: number; repetitions: number; warmup_s: number; connections: number; node_args: string[]; database: string };
  results: ScenarioResult[];
  comparisons: Comparisons;
}

/** bench/results/report.json. */
export interface ReportRun extends RunInfo {
  data: { events: number; users: number; days: number; campaigns: number; installs_in_30_day_range: number; database_mb: number; seed_s: number };
  plan: string[];
  median_ms: Record<string, number>;
  /** `s2s export --type events` of every seeded event, as NDJSON, in a child process. */
  export?: { rows: number; megabytes: number; seconds: number; rows_per_s: number; peak_rss_mb: number };
}

/** bench/results/import.json. */
export interface ImportRun extends RunInfo {
  lines: number;
  seconds: number;
  lines_per_s: number;
  imported: Record<string, number>;
  errors: number;
}

/** The head of a results file, taken when the bench finishes. */
export function describeRun(): RunInfo {
  return { date: new Date().toISOString(), commit: gitCommit(), machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version } };
}

function gitCommit(): string | null {
  const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const head = git(['rev-parse', '--short', 'HEAD']);
    // bench/results/ and the page generated from it are left out: `npm run bench` rewrites them between its parts.
    const dirty = git(['status', '--porcelain', '--untracked-files=no', '--', '.', ':!bench/results', ':!docs/performance.md']) !== '';
    return dirty ? `${head}-dirty` : head;
  } catch {
    return null;
  }
}

/** "2026-11-26 10:44 UTC, commit e60bb60, 2 × AMD EPYC, Node v20.20.2". */
export function runLine(run: RunInfo): string {
  const date = `${run.date.slice(0, 10)} ${run.date.slice(11, 16)} UTC`;
  const commit = run.commit ? `commit ${run.commit}` : 'commit not recorded';
  return `${date}, ${commit}, ${run.machine.cpus} × ${run.machine.model ?? 'unknown CPU'}, Node ${run.machine.node}`;
}

/** bench/run.ts's table: every scenario with its ratio to the bare baseline. */
export function scenarioTable(results: ScenarioResult[]): string {
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${r.requests_per_s} | ${r.records_per_s} | ${r.paired_baseline_req_s ?? (r.ratio_to_baseline === 1 ? r.requests_per_s : '-')} | ${r.ratio_to_baseline ?? '-'} | ${r.p50_ms} | ${r.p99_ms} | ${r.non_2xx} | ${r.peak_rss_mb} | ${r.cpu_us_per_request} | ${r.db_cpu_us_per_request ?? '-'} | ${r.rows_stored === null ? '-' : `${r.rows_stored} / ${r.ok_total}`} |`,
  );
  return [
    '| scenario | req/s | records/s | baseline req/s | ratio | p50 ms | p99 ms | non-2xx | peak RSS MB | server CPU µs/req | PostgreSQL CPU µs/req | rows stored / 200s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

/** The quotients of bench/run.ts's ratios, one bullet each. */
export function comparisonList(c: Comparisons): string {
  return [
    `- /s2sevent at 1M stored clicks / at 10k (SQLite): ${c.s2sevent_1m_over_10k ?? '-'} by ratio, ${c.s2sevent_cpu_per_request_1m_over_10k ?? '-'} × the CPU per request`,
    `- /s2sevent at 10M stored clicks / at 10k (PostgreSQL, partitioned): ${c.postgres_s2sevent_10m_over_10k ?? '-'} by ratio`,
    `- PostgreSQL 2 workers / 1 worker: ${c.postgres_2_workers_over_1 ?? '-'} by ratio`,
  ].join('\n');
}

/** bench/report.ts's data set, plan and timings. */
export function reportTable(report: ReportRun): string {
  const d = report.data;
  return [
    `Reports over ${d.events.toLocaleString('en')} events, ${d.users.toLocaleString('en')} users, ${d.days} days (${d.database_mb} MB SQLite); plan: ${report.plan.join('; ')}`,
    '',
    '| operation | median ms |',
    '|---|---|',
    ...Object.entries(report.median_ms).map(([name, ms]) => `| ${name} | ${ms} |`),
    ...(report.export
      ? [
          '',
          `Export: \`s2s export --type events --format ndjson\` of ${report.export.rows.toLocaleString('en')} events (${report.export.megabytes} MB) in ${report.export.seconds} s, ` +
            `${report.export.rows_per_s.toLocaleString('en')} rows/s, peak RSS ${report.export.peak_rss_mb} MB (the process's high-water mark, /proc VmHWM).`,
        ]
      : []),
  ].join('\n');
}

/** bench/import.ts's one line. */
export function importLine(result: ImportRun): string {
  return `s2s import: ${result.lines.toLocaleString('en')} NDJSON lines in ${result.seconds} s (${result.lines_per_s} lines/s); imported ${JSON.stringify(result.imported)}, ${result.errors} errors`;
}

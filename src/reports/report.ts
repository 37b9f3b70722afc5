/**
 * Reports, shared by `s2s report` and `GET /admin/reports`: the cohort of installs in a range
 * of UTC days, grouped by day, campaign or network, with every metric of domain/metrics.ts.
 */
import type { Campaign } from '../domain/apps.js';
import {
  COHORT_MAX_DAY,
  GROUP_BY,
  addCounters,
  dayNumber,
  deriveMetrics,
  emptyCounters,
  formatDay,
  parseDay,
  ratio,
  type GroupBy,
  type ReportCounters,
  type ReportMetrics,
  withSpend,
} from '../domain/metrics.js';
import { badRequest, notFound } from '../errors.js';
import type { Store } from '../storage/store.js';

/** The longest range one report may cover, so a typo in a year cannot ask for 8000 day rows. */
export const MAX_REPORT_DAYS = 1000;

export interface ReportRequest {
  app_id?: unknown;
  from?: unknown;
  to?: unknown;
  group_by?: unknown;
}

export interface ReportRange {
  appId: string;
  fromDay: number;
  toDay: number;
}

export type ReportRow = { day?: string; campaign_id?: string | null; campaign_name?: string | null; network?: string | null } & ReportMetrics;

export interface Report {
  app_id: string;
  from: string;
  to: string;
  group_by: GroupBy;
  rows: ReportRow[];
  totals: ReportMetrics;
}

export interface CohortReport {
  app_id: string;
  from: string;
  to: string;
  /** One per install day with a cohort: retention[N] is the share that opened on day N, null before day N. */
  cohorts: { day: string; users: number; retained: number[]; retention: (number | null)[] }[];
}

function requireString(value: unknown, field: string, hint: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${field}: required (${hint})`);
  return value;
}

/** Checks the app and the date range; throws a 400 naming the field. */
export async function readRange(store: Store, request: ReportRequest): Promise<ReportRange> {
  const appId = requireString(request.app_id, 'app_id', 'the app to report on');
  const from = parseDay(requireString(request.from, 'from', 'YYYY-MM-DD'));
  if (from === undefined) throw badRequest('from: must be a date, YYYY-MM-DD');
  const to = parseDay(requireString(request.to, 'to', 'YYYY-MM-DD'));
  if (to === undefined) throw badRequest('to: must be a date, YYYY-MM-DD');
  if (to < from) throw badRequest('to: must not be before from');
  if (to - from + 1 > MAX_REPORT_DAYS) throw badRequest(`to: a report covers at most ${MAX_REPORT_DAYS} days`);
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  return { appId, fromDay: from, toDay: to };
}

export function readGroupBy(value: unknown): GroupBy {
  if (value === undefined || value === '') return 'day';
  if (typeof value !== 'string' || !(GROUP_BY as readonly string[]).includes(value)) throw badRequest(`group_by: must be one of ${GROUP_BY.join(', ')}`);
  return value as GroupBy;
}

/** The report of `request` as of `now` (which cohort days have begun). */
export async function buildReport(store: Store, request: ReportRequest, now: number = Date.now()): Promise<Report> {
  const groupBy = readGroupBy(request.group_by);
  const range = await readRange(store, request);
  const query = { ...range, groupBy, today: dayNumber(now) };
  const [installRows, touchRows, campaigns] = await Promise.all([
    store.reportInstallCounters(query),
    store.reportTouchCounts(query),
    store.listCampaigns(range.appId),
  ]);
  const byCampaign = new Map(campaigns.map((c) => [c.campaign_id, c]));

  const groups = new Map<string, { key: number | string | null; counters: ReportCounters }>();
  const groupOf = (key: number | string | null) => {
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key, counters: emptyCounters() }));
    return group.counters;
  };
  if (groupBy === 'day') for (let day = range.fromDay; day <= range.toDay; day++) groupOf(day);
  for (const row of installRows) {
    const counters = groupOf(row.key);
    const cpi = row.campaign_id === null ? null : byCampaign.get(row.campaign_id)?.cpi ?? null;
    addCounters(counters, withSpend(row.counters, cpi));
  }
  for (const row of touchRows) {
    const counters = groupOf(row.key);
    counters.clicks += row.clicks;
    counters.views += row.views;
  }

  const totals = emptyCounters();
  const rows = [...groups.values()]
    .sort((a, b) => compareKeys(sortLabel(groupBy, a.key, byCampaign), sortLabel(groupBy, b.key, byCampaign)))
    .map(({ key, counters }) => {
      addCounters(totals, counters);
      return { ...describeKey(groupBy, key, byCampaign), ...deriveMetrics(counters) };
    });
  return { app_id: range.appId, from: formatDay(range.fromDay), to: formatDay(range.toDay), group_by: groupBy, rows, totals: deriveMetrics(totals) };
}

/** The install day × day N retention matrix (N = 0..30). */
export async function buildCohorts(store: Store, request: ReportRequest, now: number = Date.now()): Promise<CohortReport> {
  const range = await readRange(store, request);
  const today = dayNumber(now);
  const days = await store.cohortMatrix(range.appId, range.fromDay, range.toDay, COHORT_MAX_DAY);
  return {
    app_id: range.appId,
    from: formatDay(range.fromDay),
    to: formatDay(range.toDay),
    cohorts: days.map((row) => ({
      day: formatDay(row.day),
      users: row.users,
      retained: row.retained.map((count, n) => (row.day + n <= today ? count : 0)),
      retention: row.retained.map((count, n) => (row.day + n <= today ? round6(ratio(count, row.users)) : null)),
    })),
  };
}

function round6(value: number | null): number | null {
  return value === null ? null : Math.round(value * 1e6) / 1e6;
}

/** Campaign rows sort by name (then id), other rows by their key. */
function sortLabel(groupBy: GroupBy, key: number | string | null, campaigns: Map<string, Campaign>): number | string | null {
  if (groupBy !== 'campaign' || key === null) return key;
  return `${campaigns.get(String(key))?.name ?? ''}\u0000${key}`;
}

/** Nulls (organic, no network) last; days in order; names in order. */
function compareKeys(a: number | string | null, b: number | string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

function describeKey(groupBy: GroupBy, key: number | string | null, campaigns: Map<string, Campaign>) {
  if (groupBy === 'day') return { day: formatDay(Number(key)) };
  if (groupBy === 'network') return { network: key as string | null };
  const campaign = key === null ? undefined : campaigns.get(String(key));
  return { campaign_id: key as string | null, campaign_name: campaign?.name ?? null, network: campaign?.network ?? null };
}

/** The columns of a report row, in the order CSV and tables print them. */
export const METRIC_COLUMNS: (keyof ReportMetrics)[] = [
  'clicks',
  'views',
  'installs',
  'organic_installs',
  'rejected_installs',
  'reinstalls',
  'opens',
  'd1_retention',
  'd7_retention',
  'd30_retention',
  'purchases',
  'unpriced_purchases',
  'revenue_usd',
  'payers',
  'payer_rate',
  'arpu',
  'arppu',
  'spend',
  'roas',
];

export function keyColumns(groupBy: GroupBy): ('day' | 'campaign_id' | 'campaign_name' | 'network')[] {
  if (groupBy === 'day') return ['day'];
  return groupBy === 'campaign' ? ['campaign_id', 'campaign_name', 'network'] : ['network'];
}

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
  withCost,
  withSpend,
} from '../domain/metrics.js';
import { NetworkNames } from '../domain/networks.js';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, CostStore, RejectionCount, ReportStore } from '../storage/store.js';

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

/**
 * The range a report covers when none is asked for: the last 7 full UTC days and today, as MMP
 * dashboards open.
 */
export function defaultRange(now: number): { from: string; to: string } {
  const today = dayNumber(now);
  return { from: formatDay(today - 7), to: formatDay(today) };
}

/** Checks the app and the date range; throws a 400 naming the field. */
export async function readRange(store: Pick<CatalogStore, 'getApp'>, request: ReportRequest): Promise<ReportRange> {
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
export async function buildReport(store: CatalogStore & ReportStore & CostStore, request: ReportRequest, now: number = Date.now()): Promise<Report> {
  const groupBy = readGroupBy(request.group_by);
  const range = await readRange(store, request);
  const query = { ...range, groupBy, today: dayNumber(now) };
  const [installRows, touchRows, campaigns, costs] = await Promise.all([
    store.reportInstallCounters(query),
    store.reportTouchCounts(query),
    store.listCampaigns(range.appId),
    store.listCosts(range.appId, range.fromDay, range.toDay),
  ]);
  const byCampaign = new Map(campaigns.map((c) => [c.campaign_id, c]));
  const names = new NetworkNames(campaigns);
  for (const row of installRows) if (row.network !== null) names.offer(row.network, row.first_at);

  const groups = new Map<string, { key: GroupKey; counters: ReportCounters }>();
  const groupOf = (key: GroupKey) => {
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key, counters: emptyCounters() }));
    return group.counters;
  };
  if (groupBy === 'day') for (let day = range.fromDay; day <= range.toDay; day++) groupOf(day);
  // Spend is per (day, campaign): its recorded cost if it has one, else CPI × that day's
  // installs. A cost is counted once, in the row of its first cell; a day with a cost and no
  // install still spent it.
  const costOf = new Map(costs.map((c) => [`${c.day}:${c.campaign_id}`, c]));
  const counted = new Set<string>();
  for (const row of installRows) {
    const key = groupBy === 'day' ? row.key : groupBy === 'network' ? names.key(row.network) : row.campaign_id ?? claimedKey(names.key(row.network));
    const cell = `${row.day}:${row.campaign_id}`;
    const cost = row.campaign_id === null ? undefined : costOf.get(cell);
    if (cost) {
      addCounters(groupOf(key), withCost(row.counters, cost.spend_usd, !counted.has(cell)));
      counted.add(cell);
    } else {
      const cpi = row.campaign_id === null ? null : byCampaign.get(row.campaign_id)?.cpi ?? null;
      addCounters(groupOf(key), withSpend(row.counters, cpi));
    }
  }
  for (const cost of costs) {
    const cell = `${cost.day}:${cost.campaign_id}`;
    if (counted.has(cell)) continue;
    const network = byCampaign.get(cost.campaign_id)?.network ?? null;
    const key = groupBy === 'day' ? cost.day : groupBy === 'network' ? names.key(network) : cost.campaign_id;
    addCounters(groupOf(key), withCost(emptyCounters(), cost.spend_usd, true));
  }
  for (const row of touchRows) {
    const key = groupBy === 'network' ? names.key(row.key as string | null) : row.key;
    const counters = groupOf(key);
    counters.clicks += row.clicks;
    counters.views += row.views;
  }

  const totals = emptyCounters();
  const rows = [...groups.values()]
    .sort((a, b) => compareKeys(sortLabel(groupBy, a.key, byCampaign, names), sortLabel(groupBy, b.key, byCampaign, names)))
    .map(({ key, counters }) => {
      addCounters(totals, counters);
      return { ...describeKey(groupBy, key, byCampaign, names), ...deriveMetrics(counters) };
    });
  return { app_id: range.appId, from: formatDay(range.fromDay), to: formatDay(range.toDay), group_by: groupBy, rows, totals: deriveMetrics(totals) };
}

/** A row's key: a day number, a campaign id, a folded network name, or null (organic, no network). */
type GroupKey = number | string | null;

/** By campaign, installs a sender claimed outside any campaign are keyed by their network (campaign ids are hex). */
const CLAIMED_PREFIX = 'network:';
function claimedKey(network: string | null): string | null {
  return network === null ? null : CLAIMED_PREFIX + network;
}

/** The install day × day N retention matrix (N = 0..30). */
export async function buildCohorts(store: CatalogStore & ReportStore, request: ReportRequest, now: number = Date.now()): Promise<CohortReport> {
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

/** Campaign rows sort by name (then id), then claimed networks' rows; other rows by their key. */
function sortLabel(groupBy: GroupBy, key: GroupKey, campaigns: Map<string, Campaign>, names: NetworkNames): GroupKey {
  if (key === null || groupBy === 'day') return key;
  if (groupBy === 'network') return names.display(String(key));
  const text = String(key);
  if (text.startsWith(CLAIMED_PREFIX)) return `1${names.display(text.slice(CLAIMED_PREFIX.length))}`;
  return `0${campaigns.get(text)?.name ?? ''}\u0000${key}`;
}

/** Nulls (organic, no network) last; days in order; names in order. */
function compareKeys(a: GroupKey, b: GroupKey): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

function describeKey(groupBy: GroupBy, key: GroupKey, campaigns: Map<string, Campaign>, names: NetworkNames) {
  if (groupBy === 'day') return { day: formatDay(Number(key)) };
  if (groupBy === 'network') return { network: key === null ? null : names.display(String(key)) };
  if (typeof key === 'string' && key.startsWith(CLAIMED_PREFIX)) {
    return { campaign_id: null, campaign_name: null, network: names.display(key.slice(CLAIMED_PREFIX.length)) };
  }
  const campaign = key === null ? undefined : campaigns.get(String(key));
  return { campaign_id: key as string | null, campaign_name: campaign?.name ?? null, network: campaign ? names.display(campaign.network.toLowerCase()) : null };
}

/** The columns of a report row, in the order CSV and tables print them. */
export const METRIC_COLUMNS = [
  'clicks',
  'views',
  'installs',
  'organic_installs',
  'rejected_installs',
  'reinstalls',
  're_engagements',
  'reattributions',
  'engaged_revenue_usd',
  'opens',
  'd1_retention',
  'd7_retention',
  'd30_retention',
  'purchases',
  'unpriced_purchases',
  'revenue_usd',
  'iap_revenue_usd',
  'ad_revenue_usd',
  'ad_impressions',
  'payers',
  'payer_rate',
  'arpu',
  'arppu',
  'ltv_d0',
  'ltv_d7',
  'ltv_d30',
  'spend',
  'spend_source',
  'ecpi',
  'roas',
  'roas_iap',
  'roas_ad',
] as const satisfies readonly (keyof ReportMetrics)[];
// Every metric has its column: a metric added to ReportMetrics and not listed fails to compile.
type Unlisted = Exclude<keyof ReportMetrics, (typeof METRIC_COLUMNS)[number]>;
const everyMetricListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyMetricListed;

export function keyColumns(groupBy: GroupBy): ('day' | 'campaign_id' | 'campaign_name' | 'network')[] {
  if (groupBy === 'day') return ['day'];
  return groupBy === 'campaign' ? ['campaign_id', 'campaign_name', 'network'] : ['network'];
}

/** The range's rejected installs by reason and campaign, most first (the dashboard's breakdown). */
export async function buildRejections(store: CatalogStore & ReportStore, request: ReportRequest): Promise<{ from: string; to: string; rows: (RejectionCount & { campaign_name: string | null })[] }> {
  const range = await readRange(store, request);
  const [rows, campaigns] = await Promise.all([store.rejectionCounts(range), store.listCampaigns(range.appId)]);
  const names = new Map(campaigns.map((c) => [c.campaign_id, c.name]));
  return {
    from: formatDay(range.fromDay),
    to: formatDay(range.toDay),
    rows: rows.map((r) => ({ ...r, campaign_name: r.campaign_id === null ? null : (names.get(r.campaign_id) ?? null) })),
  };
}

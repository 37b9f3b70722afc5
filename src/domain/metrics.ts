/**
 * Report maths: the counters a report row is summed from, and the rates derived from them.
 * Definitions (also in docs/reports.md):
 * - The cohort of a row is its first installs in the date range that were not rejected:
 *   attributed (`installs`) plus organic (`organic_installs`). A campaign row's cohort is its
 *   attributed installs, the organic row's its organic installs, a day row's both.
 * - Opens, purchases, revenue, payers and retention belong to the cohort, whenever they
 *   happened; clicks and views are counted on the day they happened.
 * - Every rate divides by the cohort (or by payers, by spend, by matured users); a division by
 *   zero is null, never 0 or Infinity. A numerator counts only users of its denominator:
 *   retention on day N counts the matured users (day N has begun) that opened on day N; ROAS
 *   divides the revenue of campaigns with spend by that spend; LTV on day N divides what the
 *   matured users of day N earned by the end of day N by their number.
 * - Totals are summed from the same counters as the rows, so each total rate is a weighted
 *   mean of the rows' rates.
 */

export const DAY_MS = 86_400_000;

/** The days whose cumulative revenue per user is reported: LTV on day 0, 7 and 30 (kept per install, domain/install-summary.ts). */
export const LTV_DAYS = [0, 7, 30] as const;

/** Where a report row's spend came from: recorded costs, CPI × installs, both, or none. */
export type SpendSource = 'cost' | 'cpi' | 'mixed' | null;

function spendSource(cost: boolean, cpi: boolean): SpendSource {
  return cost && cpi ? 'mixed' : cost ? 'cost' : cpi ? 'cpi' : null;
}

/** Retention days reported as columns of every row. */
export const RETENTION_DAYS = [1, 7, 30] as const;
/** The cohort matrix runs from day 0 to this day. */
export const COHORT_MAX_DAY = 30;

export type GroupBy = 'day' | 'campaign' | 'network';
export const GROUP_BY: readonly GroupBy[] = ['day', 'campaign', 'network'];

/** The counts a report row shows as they are summed. */
interface Counts {
  clicks: number;
  views: number;
  installs: number;
  organic_installs: number;
  rejected_installs: number;
  reinstalls: number;
  /** Known users brought back, on the day they came back: by a retargeting campaign, and inactive ones by a user-acquisition campaign. */
  re_engagements: number;
  reattributions: number;
  /** What those users earned in their engagements' attribution windows (their installs' campaigns count it too). */
  engaged_revenue_usd: number;
  opens: number;
  purchases: number;
  unpriced_purchases: number;
  /** Purchases and ad revenue. */
  revenue_usd: number;
  ad_revenue_usd: number;
  ad_impressions: number;
  payers: number;
  spend: number;
}

/** What storage sums for one group (and one campaign inside it, so spend can use each CPI). */
export interface ReportCounters extends Counts {
  /** The part of revenue_usd that came from attributed installs. */
  attributed_revenue_usd: number;
  /** The part of attributed_revenue_usd with spend behind it (see withSpend): what ROAS compares spend with. */
  roas_revenue_usd: number;
  /** The ad revenue parts of the two above. */
  attributed_ad_revenue_usd: number;
  roas_ad_revenue_usd: number;
  /** Cohort users with an open on install day + N, for each N of RETENTION_DAYS. */
  retained: Record<string, number>;
  /** Cohort users whose day N has begun (a cohort from yesterday has no day 7 yet), for each N of MATURED_DAYS. */
  matured: Record<string, number>;
  /** Revenue the matured users of day N earned by the end of day N, for each N of LTV_DAYS. */
  ltv_revenue: Record<string, number>;
  /** (day, campaign) cells whose spend is a recorded cost, and those whose spend is CPI × installs: spend_source. */
  cost_cells: number;
  cpi_cells: number;
}

/** The days whose matured users are counted: retention's and LTV's. */
export const MATURED_DAYS = [...new Set([...LTV_DAYS, ...RETENTION_DAYS])].sort((a, b) => a - b);

/** Counts plus the rates derived from them; `unpriced_purchases` counts purchases whose currency had no rate. */
export interface ReportMetrics extends Counts {
  d1_retention: number | null;
  d7_retention: number | null;
  d30_retention: number | null;
  payer_rate: number | null;
  arpu: number | null;
  arppu: number | null;
  /** Revenue from the stores: revenue_usd less ad revenue. */
  iap_revenue_usd: number;
  /** Cumulative revenue per cohort user by the end of day N after install, of the users whose day N has begun. */
  ltv_d0: number | null;
  ltv_d7: number | null;
  ltv_d30: number | null;
  /** Where spend came from: recorded costs, CPI × installs, both (`mixed`), or nowhere (null). */
  spend_source: SpendSource;
  /** Effective cost per install: spend / installs. */
  ecpi: number | null;
  roas: number | null;
  roas_iap: number | null;
  roas_ad: number | null;
}

export function emptyCounters(): ReportCounters {
  return {
    clicks: 0,
    views: 0,
    installs: 0,
    organic_installs: 0,
    rejected_installs: 0,
    reinstalls: 0,
    re_engagements: 0,
    reattributions: 0,
    engaged_revenue_usd: 0,
    opens: 0,
    purchases: 0,
    unpriced_purchases: 0,
    revenue_usd: 0,
    ad_revenue_usd: 0,
    ad_impressions: 0,
    attributed_revenue_usd: 0,
    roas_revenue_usd: 0,
    attributed_ad_revenue_usd: 0,
    roas_ad_revenue_usd: 0,
    payers: 0,
    spend: 0,
    retained: Object.fromEntries(RETENTION_DAYS.map((n) => [n, 0])),
    matured: Object.fromEntries(MATURED_DAYS.map((n) => [n, 0])),
    ltv_revenue: Object.fromEntries(LTV_DAYS.map((n) => [n, 0])),
    cost_cells: 0,
    cpi_cells: 0,
  };
}

/** The counters kept per day N (a record of N → count), added day by day. */
const PER_DAY: readonly (keyof ReportCounters)[] = ['retained', 'matured', 'ltv_revenue'];

/** Adds `from` into `into` (both are counters; nothing is derived yet). */
export function addCounters(into: ReportCounters, from: ReportCounters): ReportCounters {
  for (const key of Object.keys(from) as (keyof ReportCounters)[]) {
    if (PER_DAY.includes(key)) {
      const [sum, add] = [into[key] as Record<string, number>, from[key] as Record<string, number>];
      for (const n of Object.keys(add)) sum[n] = (sum[n] ?? 0) + (add[n] ?? 0);
    } else {
      (into[key] as number) += from[key] as number;
    }
  }
  return into;
}

/**
 * One campaign's counters with its spend (CPI × attributed installs). Only revenue with spend
 * behind it enters ROAS: a campaign without a CPI, or installs a sender claimed outside any
 * campaign, keep their revenue out of it (else a totals ROAS would credit spend with revenue
 * it never paid for).
 */
export function withSpend(c: ReportCounters, cpi: number | null): ReportCounters {
  const spend = (cpi ?? 0) * c.installs;
  return { ...c, spend, cpi_cells: spend > 0 ? 1 : 0, roas_revenue_usd: spend > 0 ? c.attributed_revenue_usd : 0, roas_ad_revenue_usd: spend > 0 ? c.attributed_ad_revenue_usd : 0 };
}

/**
 * One campaign's counters of one day with that day's recorded cost, which replaces CPI ×
 * installs. `counted` is false where another row of the same (day, campaign) carries the cost
 * already; its revenue still enters ROAS, since the cost is behind it.
 */
export function withCost(c: ReportCounters, costUsd: number, counted: boolean): ReportCounters {
  const paid = costUsd > 0;
  return { ...c, spend: counted ? costUsd : 0, cost_cells: 1, roas_revenue_usd: paid ? c.attributed_revenue_usd : 0, roas_ad_revenue_usd: paid ? c.attributed_ad_revenue_usd : 0 };
}

/** `a / b`, or null when b is 0. */
export function ratio(a: number, b: number): number | null {
  return b === 0 ? null : a / b;
}

/** Money to the cent and rates to 6 places, so sums of floats print as people expect. */
function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}

function roundRate(value: number | null): number | null {
  return value === null ? null : round(value, 6);
}

/** The row a reader sees: counters plus every derived rate. */
export function deriveMetrics(c: ReportCounters): ReportMetrics {
  const cohort = c.installs + c.organic_installs;
  const retention = (n: number) => roundRate(ratio(c.retained[n] ?? 0, c.matured[n] ?? 0));
  const ltv = (n: (typeof LTV_DAYS)[number]) => roundRate(ratio(c.ltv_revenue[n] ?? 0, c.matured[n] ?? 0));
  return {
    clicks: c.clicks,
    views: c.views,
    installs: c.installs,
    organic_installs: c.organic_installs,
    rejected_installs: c.rejected_installs,
    reinstalls: c.reinstalls,
    re_engagements: c.re_engagements,
    reattributions: c.reattributions,
    engaged_revenue_usd: round(c.engaged_revenue_usd, 2),
    opens: c.opens,
    d1_retention: retention(1),
    d7_retention: retention(7),
    d30_retention: retention(30),
    purchases: c.purchases,
    unpriced_purchases: c.unpriced_purchases,
    revenue_usd: round(c.revenue_usd, 2),
    iap_revenue_usd: round(c.revenue_usd - c.ad_revenue_usd, 2),
    ad_revenue_usd: round(c.ad_revenue_usd, 2),
    ad_impressions: c.ad_impressions,
    payers: c.payers,
    payer_rate: roundRate(ratio(c.payers, cohort)),
    arpu: roundRate(ratio(c.revenue_usd, cohort)),
    arppu: roundRate(ratio(c.revenue_usd, c.payers)),
    ltv_d0: ltv(0),
    ltv_d7: ltv(7),
    ltv_d30: ltv(30),
    spend: round(c.spend, 2),
    spend_source: spendSource(c.cost_cells > 0, c.cpi_cells > 0),
    ecpi: roundRate(ratio(c.spend, c.installs)),
    roas: roundRate(ratio(c.roas_revenue_usd, c.spend)),
    roas_iap: roundRate(ratio(c.roas_revenue_usd - c.roas_ad_revenue_usd, c.spend)),
    roas_ad: roundRate(ratio(c.roas_ad_revenue_usd, c.spend)),
  };
}

/** Days since the epoch (UTC) of an epoch-ms time. */
export function dayNumber(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

/** `2026-11-25` for a day number. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The day number of a `YYYY-MM-DD` date, or undefined when it is not a real calendar date. */
export function parseDay(text: string): number | undefined {
  const m = DATE_PATTERN.exec(text);
  if (!m) return undefined;
  const time = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (formatDay(dayNumber(time)) !== text) return undefined;
  return dayNumber(time);
}

/** The bit of the activity mask for day N after install (days 0..COHORT_MAX_DAY). */
export function activityBit(dayAfterInstall: number): number {
  return dayAfterInstall >= 0 && dayAfterInstall <= COHORT_MAX_DAY ? 2 ** dayAfterInstall : 0;
}

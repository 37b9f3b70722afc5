/**
 * The summary kept beside each first install, which reports read instead of events: what the
 * user did after installing, summed as events arrive (migrations 0007 and 0015). Declared once
 * here: storage builds its columns and statements from this list, ingest sums with it.
 */
import type { EventRow } from './entities.js';
import { activityBit, dayNumber, LTV_DAYS } from './metrics.js';

/** Each summary column, and how a sighting's value joins it: added, or OR-ed (a bit mask). */
export const SUMMARY_COLUMNS = {
  opens: 'sum',
  purchases: 'sum',
  /** Purchases whose currency had no rate: their revenue is not in revenue_usd. */
  unpriced_purchases: 'sum',
  /** All revenue in USD: in-app purchases and ad revenue. */
  revenue_usd: 'sum',
  /** The ad revenue part of revenue_usd. */
  ad_revenue_usd: 'sum',
  ad_impressions: 'sum',
  /** revenue_usd earned on UTC day install day + N or before, for N of LTV_DAYS (LTV). */
  revenue_d0_usd: 'sum',
  revenue_d7_usd: 'sum',
  revenue_d30_usd: 'sum',
  /** Bit N set: the user opened the app on UTC day install day + N (N = 0..30). */
  active_days: 'or',
} as const;

export type SummaryColumn = keyof typeof SUMMARY_COLUMNS;
export type InstallSummary = Record<SummaryColumn, number>;
export const SUMMARY_COLUMN_NAMES = Object.keys(SUMMARY_COLUMNS) as SummaryColumn[];

const LTV_COLUMN = { 0: 'revenue_d0_usd', 7: 'revenue_d7_usd', 30: 'revenue_d30_usd' } as const satisfies Record<(typeof LTV_DAYS)[number], SummaryColumn>;
export const ltvColumn = (day: (typeof LTV_DAYS)[number]): SummaryColumn => LTV_COLUMN[day];

export function emptySummary(): InstallSummary {
  return Object.fromEntries(SUMMARY_COLUMN_NAMES.map((c) => [c, 0])) as InstallSummary;
}

/** Adds `from` into `into`, column by column as SUMMARY_COLUMNS says. */
export function addSummary(into: InstallSummary, from: InstallSummary): InstallSummary {
  for (const column of SUMMARY_COLUMN_NAMES) {
    into[column] = SUMMARY_COLUMNS[column] === 'or' ? into[column] | from[column] : into[column] + from[column];
  }
  return into;
}

/** What one stored event adds to the summary of an install made at `installedAt`. */
export function eventSummary(event: Pick<EventRow, 'kind' | 'occurred_at' | 'revenue_usd' | 'ad_impressions'>, installedAt: number): InstallSummary {
  const purchase = event.kind === 'purchase' ? 1 : 0;
  const usd = event.revenue_usd ?? 0;
  const day = dayNumber(event.occurred_at) - dayNumber(installedAt);
  const summary = emptySummary();
  summary.opens = event.kind === 'open' ? 1 : 0;
  summary.purchases = purchase;
  summary.unpriced_purchases = purchase && event.revenue_usd === null ? 1 : 0;
  summary.revenue_usd = usd;
  summary.ad_revenue_usd = event.kind === 'ad_revenue' ? usd : 0;
  summary.ad_impressions = event.kind === 'ad_revenue' ? (event.ad_impressions ?? 0) : 0;
  // Revenue dated before the install (a sender's clock) counts from day 0.
  for (const n of LTV_DAYS) summary[LTV_COLUMN[n]] = day <= n ? usd : 0;
  summary.active_days = event.kind === 'open' ? activityBit(day) : 0;
  return summary;
}

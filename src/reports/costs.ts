/**
 * Real cost, shared by `s2s costs import` and `PUT /admin/costs`: cost lines of one app, each
 * read by domain/costs.ts, replace the app's costs of the days they name (a day re-imported is
 * the new file's, whole). All lines are read before anything is written: one bad line refuses
 * the lot, naming its index.
 */
import { readCost, type CostRow } from '../domain/costs.js';
import { formatDay, parseDay } from '../domain/metrics.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { CatalogStore, CostStore } from '../storage/store.js';

/** At most this many lines in one request or file: a year of days for a few hundred campaigns. */
export const MAX_COST_LINES = 100_000;

export interface CostsReplaced {
  app_id: string;
  /** The days replaced, in order. */
  days: string[];
  rows: number;
}

/** `where(index)` prefixes a line's error: `costs[3].` for the API, `line 5: ` for a file. */
export async function replaceCosts(
  store: CatalogStore & CostStore,
  appId: string,
  lines: readonly Record<string, unknown>[],
  where: (index: number) => string = (index) => `costs[${index}].`,
  now: number = Date.now(),
): Promise<CostsReplaced> {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  if (lines.length > MAX_COST_LINES) throw badRequest(`costs: at most ${MAX_COST_LINES} lines at once`);
  const [campaigns, rates] = await Promise.all([store.listCampaigns(appId), store.listRates()]);
  const rateMap = new Map(rates.map((r) => [r.currency, r.usd_per_unit]));
  const rows = new Map<string, CostRow>();
  lines.forEach((line, index) => {
    let row: CostRow;
    try {
      row = readCost(line, appId, campaigns, rateMap, now);
    } catch (error) {
      if (error instanceof AppError) throw new AppError(error.status, `${where(index)}${error.message}`);
      throw error;
    }
    const key = `${row.day}:${row.campaign_id}`;
    if (rows.has(key)) throw badRequest(`${where(index)}campaign_id: a second line for ${formatDay(row.day)} and campaign ${row.campaign_id}`);
    rows.set(key, row);
  });
  const days = [...new Set([...rows.values()].map((r) => r.day))].sort((a, b) => a - b);
  await store.replaceCosts(appId, days, [...rows.values()]);
  return { app_id: appId, days: days.map(formatDay), rows: rows.size };
}

/** The app's costs of [from, to] (YYYY-MM-DD), as stored. */
export async function listCosts(store: CatalogStore & CostStore, appId: string, from: string, to: string) {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  const fromDay = parseDay(from);
  if (fromDay === undefined) throw badRequest('from: must be a date, YYYY-MM-DD');
  const toDay = parseDay(to);
  if (toDay === undefined) throw badRequest('to: must be a date, YYYY-MM-DD');
  if (toDay < fromDay) throw badRequest('to: must not be before from');
  const rows = await store.listCosts(appId, fromDay, toDay);
  return rows.map(({ app_id: _app, updated_at, day, ...row }) => ({ day: formatDay(day), ...row, updated_at: new Date(updated_at).toISOString() }));
}

/**
 * Real cost: what a campaign spent on a UTC day, from a network's spend report or the admin
 * API. Reading a cost line is validation only, no I/O; the campaign is found by id, or by
 * network and campaign name as spend reports name it.
 */
import type { Campaign } from './apps.js';
import { toUsd } from './currency.js';
import { parseDay } from './metrics.js';
import { badRequest } from '../errors.js';

export interface CostRow {
  app_id: string;
  /** Days since the epoch (UTC). */
  day: number;
  campaign_id: string;
  spend: number;
  currency: string;
  spend_usd: number;
  impressions: number | null;
  clicks: number | null;
  updated_at: number;
}

/** The largest spend one (day, campaign) may carry, so a typo cannot dwarf every figure. */
const MAX_SPEND = 1e10;

const text = (raw: Record<string, unknown>, key: string): string | undefined => {
  const value = raw[key];
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw badRequest(`${key}: must be a string`);
  return String(value).trim();
};

const count = (raw: Record<string, unknown>, key: string): number | null => {
  const value = text(raw, key);
  if (value === undefined) return null;
  if (!/^\d{1,15}$/.test(value)) throw badRequest(`${key}: must be a whole number`);
  return Number(value);
};

/**
 * One cost line for `appId`: `day` (YYYY-MM-DD), `campaign_id` or `network` + `campaign_name`,
 * `spend`, `currency` (USD by default; it must have a rate), optional `impressions` and `clicks`.
 * Throws a 400 naming the field.
 */
export function readCost(
  raw: Record<string, unknown>,
  appId: string,
  campaigns: readonly Campaign[],
  rates: ReadonlyMap<string, number>,
  now: number,
): CostRow {
  const dayText = text(raw, 'day');
  if (dayText === undefined) throw badRequest('day: is required (YYYY-MM-DD)');
  const day = parseDay(dayText);
  if (day === undefined) throw badRequest(`day: "${dayText}" is not a date, YYYY-MM-DD`);
  const campaign = findCampaign(raw, campaigns);
  const spendText = text(raw, 'spend');
  if (spendText === undefined) throw badRequest('spend: is required');
  const spend = /^\d+(\.\d+)?$/.test(spendText) ? Number(spendText) : NaN;
  if (!Number.isFinite(spend) || spend > MAX_SPEND) throw badRequest(`spend: "${spendText}" is not an amount from 0 to ${MAX_SPEND}`);
  const currency = (text(raw, 'currency') ?? 'USD').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) throw badRequest('currency: must be a 3-letter currency code such as USD');
  const spendUsd = toUsd(spend, currency, rates);
  if (spendUsd === null) throw badRequest(`currency: no rate for ${currency} (s2s rates set ${currency} …)`);
  return { app_id: appId, day, campaign_id: campaign.campaign_id, spend, currency, spend_usd: spendUsd, impressions: count(raw, 'impressions'), clicks: count(raw, 'clicks'), updated_at: now };
}

function findCampaign(raw: Record<string, unknown>, campaigns: readonly Campaign[]): Campaign {
  const id = text(raw, 'campaign_id');
  if (id !== undefined) {
    const campaign = campaigns.find((c) => c.campaign_id === id);
    if (!campaign) throw badRequest(`campaign_id: no campaign ${id} in this app`);
    return campaign;
  }
  const network = text(raw, 'network');
  const name = text(raw, 'campaign_name');
  if (network === undefined || name === undefined) throw badRequest('campaign_id: is required (or network and campaign_name)');
  const matches = campaigns.filter((c) => c.network.toLowerCase() === network.toLowerCase() && c.name === name);
  if (matches.length === 0) throw badRequest(`campaign_name: no campaign "${name}" of network ${network} in this app`);
  if (matches.length > 1) throw badRequest(`campaign_name: ${matches.length} campaigns "${name}" of network ${network}; give campaign_id`);
  return matches[0]!;
}

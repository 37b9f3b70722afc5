/**
 * Backfill: one NDJSON or CSV line → one record for the same write path live traffic takes.
 * Parsing and validation only; no I/O. Re-importing a file adds nothing twice: clicks and
 * views keep their `id` (or get one derived from the line), events and opens get a dedup key
 * derived from the line, and an install is once per user anyway.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { App } from '../domain/apps.js';
import { deviceIdsFrom } from '../domain/devices.js';
import { MIN_EPOCH_SECONDS, futureTimeProblem } from '../domain/times.js';
import { isId } from '../domain/ids.js';
import type { Touchpoint } from '../domain/entities.js';
import { eventKind, type ConversionRecord, type WriteOp } from './records.js';

export const IMPORT_TYPES = ['click', 'view', 'install', 'open', 'event'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

export class ImportLineError extends Error {}

export interface CampaignLookup {
  (campaignId: string): { app_id: string; network: string } | undefined;
}

const fail = (message: string): never => {
  throw new ImportLineError(message);
};

/** Parses `time`: ISO 8601 or epoch seconds, at most FUTURE_TOLERANCE_MS after `now`. */
export function parseTime(value: unknown, now: number = Date.now()): number {
  const time = parseTimeValue(value);
  const problem = futureTimeProblem('time', time, now);
  return problem === undefined ? time : fail(problem);
}

function parseTimeValue(value: unknown): number {
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const seconds = Number(value);
    if (seconds < MIN_EPOCH_SECONDS || seconds > 10_000_000_000) fail(`time: ${value} is not epoch seconds`);
    return Math.round(seconds * 1000);
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  return fail(`time: "${String(value)}" is neither ISO 8601 nor epoch seconds`);
}

function text(record: Record<string, unknown>, key: string, max = 512): string | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') fail(`${key}: must be a string`);
  const s = String(value).trim();
  if (s.length > max) fail(`${key}: longer than ${max} characters`);
  return s === '' ? undefined : s;
}

function ip(record: Record<string, unknown>): string | undefined {
  const value = text(record, 'ip', 64);
  if (value !== undefined && isIP(value) === 0) fail(`ip: "${value}" is not an IP address`);
  return value;
}

function lineHash(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

/** The whole seconds of `time` (ms) in hex, zero-padded to `digits`: sorts as time does. */
function hexSecond(time: number, digits: number): string {
  return Math.floor(time / 1000).toString(16).padStart(digits, '0');
}

/** A stable touchpoint id for a line without one: its time's seconds, then a hash of the line. */
function derivedId(time: number, line: string): string {
  return hexSecond(time, 8) + lineHash(line).slice(0, 16);
}

/**
 * The dedup key of an imported event: the same line imported again adds nothing. It begins with
 * the event's second so that a backfill, which runs in time order, appends to the dedup index
 * instead of writing a random page of it per line (a sha256 alone made claiming the key the
 * costliest statement of an import, and every commit rewrite thousands of index pages).
 */
function importDedupKey(time: number, line: string): string {
  return `import:${hexSecond(time, 9)}:${lineHash(line).slice(0, 32)}`;
}

/** Turns one parsed line into a write op for `app`; throws ImportLineError naming the field. */
export function importRecord(app: App, record: Record<string, unknown>, rawLine: string, campaigns: CampaignLookup, now: number = Date.now()): WriteOp {
  const type = text(record, 'type') as ImportType | undefined;
  if (type === undefined) return fail('type: is required');
  if (!IMPORT_TYPES.includes(type)) fail(`type: must be one of ${IMPORT_TYPES.join(', ')}`);
  if (record.time === undefined || record.time === '') fail('time: is required');
  const time = parseTime(record.time, now);
  const deviceIds = deviceIdsFrom(record);

  if (type === 'click' || type === 'view') {
    const campaignId = text(record, 'campaign_id', 64) ?? fail('campaign_id: is required');
    const campaign = campaigns(campaignId) ?? fail(`campaign_id: unknown campaign ${campaignId}`);
    if (campaign.app_id !== app.app_id) fail(`campaign_id: campaign ${campaignId} belongs to another app`);
    const id = text(record, 'id', 64);
    if (id !== undefined && !isId(id)) fail(`id: "${id}" is not an id (24 lowercase hex characters)`);
    const touchpoint: Touchpoint = {
      touchpoint_id: id ?? derivedId(time, rawLine),
      kind: type,
      app_id: app.app_id,
      campaign_id: campaignId,
      network: campaign.network,
      created_at: time,
      ip: ip(record) ?? null,
      user_agent: text(record, 'user_agent', 1024) ?? null,
      platform: text(record, 'platform', 32)?.toLowerCase() ?? null,
      storefront: text(record, 'storefront', 32)?.toLowerCase() ?? null,
      network_click_id: text(record, 'network_click_id', 128) ?? null,
      idfa: deviceIds.idfa ?? null,
      gaid: deviceIds.gaid ?? null,
      uuid: deviceIds.uuid ?? null,
      fire_adid: deviceIds.fire_adid ?? null,
      site_id: text(record, 'site_id') ?? null,
      publisher: text(record, 'publisher') ?? null,
      creative: text(record, 'creative') ?? null,
      sub1: text(record, 'sub1') ?? null,
      sub2: text(record, 'sub2') ?? null,
      sub3: text(record, 'sub3') ?? null,
      sub4: text(record, 'sub4') ?? null,
      sub5: text(record, 'sub5') ?? null,
    };
    return { kind: 'touchpoint', touchpoint };
  }

  const userId = text(record, 'user_id', 256);
  if (userId === undefined && Object.keys(deviceIds).length === 0) fail('user_id: a user id or a device id is required');
  const clickIds = ['click_id', 'clkid'].map((k) => text(record, k, 64)).filter((v): v is string => v !== undefined);
  const conversion: ConversionRecord = {
    app,
    time,
    receivedAt: now,
    source: 'import',
    userId,
    deviceIds,
    ip: ip(record),
    userAgent: text(record, 'user_agent', 1024),
    platform: text(record, 'platform', 32)?.toLowerCase(),
    storefront: text(record, 'storefront', 32)?.toLowerCase(),
    clickIds: userId === undefined ? clickIds : [userId, ...clickIds],
    viewIds: [text(record, 'completed_view_id', 64)].filter((v): v is string => v !== undefined),
  };
  if (type === 'install') return { kind: 'conversion', conversion };

  const eventId = type === 'open' ? (text(record, 'event_id', 256) ?? 'open') : (text(record, 'event_id', 256) ?? fail('event_id: is required'));
  const revenueRaw = record.revenue;
  let revenue: number | undefined;
  if (revenueRaw !== undefined && revenueRaw !== '' && revenueRaw !== null) {
    revenue = Number(revenueRaw);
    if (!Number.isFinite(revenue) || revenue < 0) fail('revenue: must be a number ≥ 0');
  }
  const currency = text(record, 'currency', 3);
  if (currency !== undefined && !/^[A-Za-z]{3}$/.test(currency)) fail('currency: must be a 3-letter code');
  const eventValue = record.event_value;
  conversion.event = {
    kind: eventKind(type === 'open', revenue),
    name: eventId,
    revenue,
    currency: revenue === undefined ? currency?.toUpperCase() : (currency ?? 'USD').toUpperCase(),
    eventValue: eventValue === undefined || eventValue === '' ? undefined : typeof eventValue === 'string' ? eventValue : JSON.stringify(eventValue),
    dedupKey: importDedupKey(time, rawLine),
  };
  return { kind: 'conversion', conversion };
}

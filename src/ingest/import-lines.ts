/**
 * Backfill: one NDJSON or CSV line → one record for the same write path live traffic takes.
 * Parsing and validation only; no I/O. Re-importing a file adds nothing twice: clicks and
 * views keep their `id` (or get one derived from the line), events and opens get a dedup key
 * derived from the line, and an install is once per user anyway.
 */
import { createHash } from 'node:crypto';
import type { App } from '../domain/apps.js';
import { isId } from '../domain/ids.js';
import { AppError } from '../errors.js';
import { optionalEventTime, optionalIp, optionalString, optionalWholeNumber, readDeviceIds, readFreeText, readRevenue, type Params } from './normalise.js';
import { buildTouchpoint } from './touchpoints.js';
import { eventKind, type ConversionRecord, type WriteOp } from './records.js';

export const IMPORT_TYPES = ['click', 'view', 'install', 'open', 'event', 'ad_revenue'] as const;
export type ImportType = (typeof IMPORT_TYPES)[number];

export class ImportLineError extends Error {}

export interface CampaignLookup {
  (campaignId: string): { app_id: string; network: string } | undefined;
}

const fail = (message: string): never => {
  throw new ImportLineError(message);
};

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

/**
 * Turns one parsed line into a write op for `app`; throws ImportLineError naming the field.
 * Fields are read by the normalisers requests use (`normalise.ts`), so a value refused there is
 * refused here with the same message.
 */
export function importRecord(app: App, record: Record<string, unknown>, rawLine: string, campaigns: CampaignLookup, now: number = Date.now()): WriteOp {
  try {
    return readLine(app, record, rawLine, campaigns, now);
  } catch (error) {
    if (error instanceof AppError && error.status === 400) throw new ImportLineError(error.message);
    throw error;
  }
}

function readLine(app: App, record: Params, rawLine: string, campaigns: CampaignLookup, now: number): WriteOp {
  const type = optionalString(record, 'type') as ImportType | undefined;
  if (type === undefined) return fail('type: is required');
  if (!IMPORT_TYPES.includes(type)) fail(`type: must be one of ${IMPORT_TYPES.join(', ')}`);
  const time = optionalEventTime(record, 'time', now, 'seconds-or-iso') ?? fail('time: is required');
  const ip = optionalIp(record, 'ip');
  const userAgent = optionalString(record, 'user_agent', { max: 1024 });

  if (type === 'click' || type === 'view') {
    const campaignId = optionalString(record, 'campaign_id', { max: 64 }) ?? fail('campaign_id: is required');
    const campaign = campaigns(campaignId) ?? fail(`campaign_id: unknown campaign ${campaignId}`);
    if (campaign.app_id !== app.app_id) fail(`campaign_id: campaign ${campaignId} belongs to another app`);
    const id = optionalString(record, 'id', { max: 64 });
    if (id !== undefined && !isId(id)) fail(`id: "${id}" is not an id (24 lowercase hex characters)`);
    const touchpoint = buildTouchpoint(
      {
        touchpointId: id ?? derivedId(time, rawLine),
        kind: type,
        appId: app.app_id,
        campaign: { campaign_id: campaignId, network: campaign.network },
        time,
        ip: ip ?? null,
        userAgent: userAgent ?? null,
        networkClickId: optionalString(record, 'network_click_id', { max: 128 }) ?? null,
      },
      record,
    );
    return { kind: 'touchpoint', touchpoint };
  }

  const deviceIds = readDeviceIds(record);
  const userId = optionalString(record, 'user_id', { max: 256 });
  if (userId === undefined && Object.keys(deviceIds).length === 0) fail('user_id: a user id or a device id is required');
  const clickIds = ['click_id', 'clkid'].map((k) => optionalString(record, k, { max: 64 })).filter((v): v is string => v !== undefined);
  const conversion: ConversionRecord = {
    app,
    time,
    receivedAt: now,
    source: 'import',
    userId,
    deviceIds,
    ip,
    userAgent,
    platform: optionalString(record, 'platform', { max: 32 })?.toLowerCase(),
    storefront: optionalString(record, 'storefront', { max: 32 })?.toLowerCase(),
    clickIds: userId === undefined ? clickIds : [userId, ...clickIds],
    viewIds: [optionalString(record, 'completed_view_id', { max: 64 })].filter((v): v is string => v !== undefined),
  };
  if (type === 'install') return { kind: 'conversion', conversion };

  const { revenue, currency } = readRevenue(record, 'revenue', 'currency');
  if (type === 'ad_revenue') {
    if (revenue === undefined) fail('revenue: is required for ad_revenue');
    const impressions = optionalWholeNumber(record, 'ad_impressions', { min: 0, max: 1e9 });
    conversion.event = {
      kind: 'ad_revenue',
      name: optionalString(record, 'event_id', { max: 256 }) ?? 'ad_revenue',
      revenue,
      currency,
      eventValue: readFreeText(record, 'event_value'),
      dedupKey: importDedupKey(time, rawLine),
      ad: {
        source: optionalString(record, 'ad_source', { max: 64 }),
        network: optionalString(record, 'ad_network', { max: 128 }),
        unit: optionalString(record, 'ad_unit', { max: 128 }),
        placement: optionalString(record, 'ad_placement', { max: 128 }),
        impressions,
      },
    };
    return { kind: 'conversion', conversion };
  }
  const eventId = optionalString(record, 'event_id', { max: 256 }) ?? (type === 'open' ? 'open' : fail('event_id: is required'));
  conversion.event = {
    kind: eventKind(type === 'open', revenue),
    name: eventId,
    revenue,
    currency,
    eventValue: readFreeText(record, 'event_value'),
    dedupKey: importDedupKey(time, rawLine),
  };
  return { kind: 'conversion', conversion };
}

/** Apple's postbacks of an app as `s2s skan list` and `GET /admin/skan` show them. */
import { Type } from '@sinclair/typebox';
import { Nullable } from '../admin/schemas.js';
import { validate } from '../admin/validate.js';
import type { SkanPostbackRow } from '../domain/entities.js';
import { DAY_MS, formatDay } from '../domain/metrics.js';
import { COARSE_VALUES, mappingKey, MAX_FINE_VALUE, skanReport, type ConversionSchema, type SkanReportRow } from '../domain/skan-report.js';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, SkanMapping, SkanStore } from '../storage/store.js';
import { readRange } from './report.js';

export const MAX_SKAN_LIST = 10_000;

/** A postback as listed: times as ISO, flags as booleans, the raw body left out. */
export interface ListedPostback extends Omit<SkanPostbackRow, 'received_at' | 'redownload' | 'did_win' | 'body'> {
  received_at: string;
  redownload: boolean | null;
  did_win: boolean | null;
}

export async function listSkan(store: Pick<CatalogStore, 'getApp'> & SkanStore, appId: string, limit = 100): Promise<ListedPostback[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SKAN_LIST) throw badRequest(`limit: must be a whole number from 1 to ${MAX_SKAN_LIST}`);
  await requireApp(store, appId);
  const flag = (v: number | null) => (v === null ? null : v === 1);
  return (await store.listSkanPostbacks(appId, limit)).map(({ body: _body, ...row }) => ({
    ...row,
    received_at: new Date(row.received_at).toISOString(),
    redownload: flag(row.redownload),
    did_win: flag(row.did_win),
  }));
}

// ---- how an app reads its postbacks: its campaign map, its conversion-value schema, its SKAN report

const ConversionMeaningInput = Type.Object(
  {
    event: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'the event the value stands for, e.g. purchase' }))),
    revenue_min_usd: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1e9 }))),
    revenue_max_usd: Type.Optional(Nullable(Type.Number({ minimum: 0, maximum: 1e9 }))),
  },
  { additionalProperties: false },
);

/** An app's whole conversion-value schema: fine values 0–63 and coarse low/medium/high. */
export const ConversionSchemaInput = Type.Object(
  {
    fine: Type.Optional(Type.Record(Type.String({ pattern: '^(?:[0-9]|[1-5][0-9]|6[0-3])$' }), ConversionMeaningInput, { description: 'fine value (0-63) → its meaning' })),
    coarse: Type.Optional(Type.Record(Type.String({ pattern: '^(?:low|medium|high)$' }), ConversionMeaningInput, { description: 'low, medium or high → its meaning' })),
  },
  { additionalProperties: false },
);

export const SkanMappingInput = Type.Object(
  {
    ad_network_id: Type.String({ pattern: '^[A-Za-z0-9._-]{1,128}$', description: 'e.g. example123.skadnetwork' }),
    source_identifier: Type.String({ pattern: '^[0-9]{1,20}$', description: 'the campaign-id (before 4.0) or source-identifier the network uses for the campaign' }),
    campaign_id: Nullable(Type.String({ description: 'the campaign; null removes the mapping' })),
  },
  { additionalProperties: false },
);

/** Maps (or, with a null campaign, unmaps) an ad network's campaign or source id to a campaign of the app. */
export async function mapSkanSource(store: Pick<CatalogStore, 'getApp' | 'getCampaign'> & SkanStore, appId: string, input: unknown): Promise<SkanMapping[]> {
  const mapping = validate(SkanMappingInput, input);
  await requireApp(store, appId);
  if (mapping.campaign_id !== null) {
    const campaign = await store.getCampaign(mapping.campaign_id);
    if (!campaign || campaign.app_id !== appId) throw notFound(`campaign_id: no campaign ${mapping.campaign_id} in app ${appId}`);
  }
  await store.setSkanMapping(appId, mapping.ad_network_id, mapping.source_identifier, mapping.campaign_id);
  return store.listSkanMappings(appId);
}

export async function skanMappings(store: Pick<CatalogStore, 'getApp'> & SkanStore, appId: string): Promise<SkanMapping[]> {
  await requireApp(store, appId);
  return store.listSkanMappings(appId);
}

/** Replaces the app's conversion-value schema; a range's minimum may not exceed its maximum. */
export async function setSkanSchema(store: Pick<CatalogStore, 'getApp'> & SkanStore, appId: string, input: unknown): Promise<ConversionSchema> {
  const given = validate(ConversionSchemaInput, input);
  await requireApp(store, appId);
  const schema: ConversionSchema = { fine: {}, coarse: {} };
  for (const kind of ['fine', 'coarse'] as const) {
    for (const [value, m] of Object.entries(given[kind] ?? {})) {
      if (kind === 'fine' && !(/^\d{1,2}$/.test(value) && Number(value) <= MAX_FINE_VALUE)) throw badRequest(`fine.${value}: a fine conversion value is a whole number from 0 to ${MAX_FINE_VALUE}`);
      if (kind === 'coarse' && !(COARSE_VALUES as readonly string[]).includes(value)) throw badRequest(`coarse.${value}: a coarse conversion value is ${COARSE_VALUES.join(', ')}`);
      const meaning = { event: m.event ?? null, revenue_min_usd: m.revenue_min_usd ?? null, revenue_max_usd: m.revenue_max_usd ?? null };
      if (meaning.revenue_min_usd !== null && meaning.revenue_max_usd !== null && meaning.revenue_min_usd > meaning.revenue_max_usd) {
        throw badRequest(`${kind}.${value}.revenue_max_usd: must not be below revenue_min_usd`);
      }
      schema[kind][value] = meaning;
    }
  }
  await store.replaceSkanSchema(appId, schema);
  return schema;
}

export async function skanSchema(store: Pick<CatalogStore, 'getApp'> & SkanStore, appId: string): Promise<ConversionSchema> {
  await requireApp(store, appId);
  return store.getSkanSchema(appId);
}

export interface SkanReport {
  app_id: string;
  from: string;
  to: string;
  rows: (SkanReportRow & { campaign_name: string | null })[];
  totals: { postbacks: number; estimated_revenue_usd: number };
}

/** Verified postbacks received on the days of the range, by campaign, window, winning or not and fidelity. */
export async function skanReportFor(store: Pick<CatalogStore, 'getApp' | 'getCampaign'> & SkanStore, request: { app_id?: unknown; from?: unknown; to?: unknown }): Promise<SkanReport> {
  const range = await readRange(store, request);
  const [counts, mappings, schema] = await Promise.all([
    store.countSkanPostbacks(range.appId, range.fromDay * DAY_MS, (range.toDay + 1) * DAY_MS),
    store.listSkanMappings(range.appId),
    store.getSkanSchema(range.appId),
  ]);
  const rows = skanReport(counts, new Map(mappings.map((m) => [mappingKey(m.ad_network_id, m.source_identifier), m.campaign_id])), schema);
  const names = new Map<string, string | null>();
  for (const row of rows) if (row.campaign_id && !names.has(row.campaign_id)) names.set(row.campaign_id, (await store.getCampaign(row.campaign_id))?.name ?? null);
  const totals = { postbacks: 0, estimated_revenue_usd: 0 };
  for (const row of rows) {
    totals.postbacks += row.postbacks;
    totals.estimated_revenue_usd += row.estimated_revenue_usd;
  }
  totals.estimated_revenue_usd = Math.round(totals.estimated_revenue_usd * 100) / 100;
  return {
    app_id: range.appId,
    from: formatDay(range.fromDay),
    to: formatDay(range.toDay),
    // By campaign name (unmapped rows last), then as skanReport ordered them (a stable sort).
    rows: rows
      .map((row) => ({ campaign_name: row.campaign_id ? (names.get(row.campaign_id) ?? null) : null, ...row }))
      .sort((a, b) => (a.campaign_id === null ? 1 : 0) - (b.campaign_id === null ? 1 : 0) || (a.campaign_name ?? '').localeCompare(b.campaign_name ?? '')),
    totals,
  };
}

async function requireApp(store: Pick<CatalogStore, 'getApp'>, appId: string): Promise<void> {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
}

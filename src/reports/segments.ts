/**
 * Segments (saved rule sets over an app's users) and their audiences, shared by
 * `s2s segments` / `s2s audience export --segment` and the admin API.
 */
import type { Identity } from '../domain/devices.js';
import { isId, newId } from '../domain/ids.js';
import { formatSegmentRule, parseSegmentRules } from '../domain/segments.js';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, ReportStore, SegmentRow } from '../storage/store.js';

export interface SegmentView {
  segment_id: string;
  app_id: string;
  name: string;
  rules: string[];
  created_at: string;
}

export function viewSegment(row: SegmentRow): SegmentView {
  return { segment_id: row.segment_id, app_id: row.app_id, name: row.name, rules: row.rules.map(formatSegmentRule), created_at: new Date(row.created_at).toISOString() };
}

export async function createSegment(store: CatalogStore, input: { app_id?: unknown; name?: unknown; rules?: unknown }, now = Date.now()): Promise<SegmentView> {
  if (typeof input.app_id !== 'string' || input.app_id === '') throw badRequest('app_id: required');
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) throw badRequest('name: required, at most 200 characters');
  const texts = typeof input.rules === 'string' ? [input.rules] : input.rules;
  if (!Array.isArray(texts) || !texts.every((t): t is string => typeof t === 'string')) throw badRequest('rules: a list of rules, e.g. ["event=purchase"]');
  const rules = parseSegmentRules(texts);
  if ('error' in rules) throw badRequest(rules.error);
  if (!(await store.getApp(input.app_id))) throw notFound(`app_id: unknown app ${input.app_id}`);
  const row: SegmentRow = { segment_id: newId(now), app_id: input.app_id, name: input.name.trim(), rules, created_at: now };
  await store.createSegment(row);
  return viewSegment(row);
}

export async function listSegments(store: CatalogStore, appId: string): Promise<SegmentView[]> {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  return (await store.listSegments(appId)).map(viewSegment);
}

/** The device ids (and user ids) of the segment's users as of `now`. */
export async function segmentAudience(store: CatalogStore & ReportStore, appId: string, segmentId: string, now = Date.now()): Promise<Identity[]> {
  if (!isId(segmentId)) throw badRequest('segment: a segment id is 24 hex characters');
  const segment = await store.getSegment(segmentId);
  if (!segment || segment.app_id !== appId) throw notFound(`segment: no segment ${segmentId} in app ${appId}`);
  return store.segmentIdentities(appId, segment.rules, now);
}

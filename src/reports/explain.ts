/**
 * `s2s explain` and `GET /admin/users/{id}`: why a user was credited as it was, from what is
 * stored. Its identities; each install, reinstall and engagement with every touch that could
 * have explained it at that moment (the candidate lookup ingest ran, run again) and why each
 * won or lost (domain/explain.ts); and its timeline of events and deliveries.
 *
 * The install is rebuilt from what was stored of it: its device ids are the user's now, its IP
 * and user agent its own (gone after the retention horizon, so probabilistic touches then show
 * as unmatched), and the click or view id it was matched by when that is how it was credited.
 */
import type { App } from '../domain/apps.js';
import type { Candidates, Conversion } from '../domain/attribution.js';
import { DEVICE_ID_KINDS, type DeviceIds } from '../domain/devices.js';
import { explainCandidates, type CandidateExplanation } from '../domain/explain.js';
import type { InstallRow } from '../domain/entities.js';
import { isoTime } from '../domain/times.js';
import { badRequest, notFound } from '../errors.js';
import { toCandidate } from '../ingest/conversions.js';
import type { CandidateRow, CatalogStore, IngestStore, RecordTx, ReportStore } from '../storage/store.js';


export interface Explanation {
  app_id: string;
  user: { user_pk: string; created_at: string; last_seen_at: string };
  identities: { kind: string; value: string }[];
  installs: (Omit<InstallRow, 'installed_at' | 'touched_at'> & { installed_at: string; touched_at: string | null; candidates: (Omit<CandidateExplanation, 'created_at'> & { created_at: string })[] })[];
  timeline: { at: string; kind: string; name: string; revenue_usd: number | null; source: string }[];
  deliveries: { created_at: string; trigger: string; status: string; attempts: number; last_status: number | null; last_error: string | null; url: string }[];
}

export async function explainUser(
  store: Pick<CatalogStore, 'getApp'> & Pick<ReportStore, 'userRecord'> & Pick<IngestStore, 'transaction'>,
  appId: string,
  /** A device id, a user id, or `id`: either (a device id first). */
  who: { device?: string | undefined; user?: string | undefined; id?: string | undefined },
): Promise<Explanation> {
  const given = [who.device, who.user, who.id].filter((v) => v !== undefined);
  if (given.length !== 1) throw badRequest('device: name the user by one device id or one user id (user)');
  const app = await store.getApp(appId);
  if (!app) throw notFound(`app_id: unknown app ${appId}`);
  const value = given[0]!;
  const record =
    (who.user === undefined ? await store.userRecord(appId, value, 'device') : undefined) ?? (who.device === undefined ? await store.userRecord(appId, value, 'user') : undefined);
  const field = who.device !== undefined ? 'device' : who.user !== undefined ? 'user' : 'id';
  if (!record) throw notFound(`${field}: no user of app ${appId} has the id ${value}`);
  const deviceIds: DeviceIds = {};
  for (const id of record.identities) if ((DEVICE_ID_KINDS as readonly string[]).includes(id.kind)) deviceIds[id.kind as keyof DeviceIds] = id.value;

  const installs = [];
  for (const install of record.installs) {
    const candidates = install.source === 'claimed' || install.match_type === 'claimed' ? [] : await candidatesOf(store, app, install, deviceIds);
    installs.push({ ...install, installed_at: isoTime(install.installed_at)!, touched_at: isoTime(install.touched_at), candidates });
  }
  return {
    app_id: appId,
    user: { user_pk: record.user.user_pk, created_at: isoTime(record.user.created_at)!, last_seen_at: isoTime(record.user.last_seen_at)! },
    identities: record.identities,
    installs,
    timeline: record.events.map((e) => ({ at: isoTime(e.occurred_at)!, kind: e.kind, name: e.name, revenue_usd: e.revenue_usd, source: e.source })),
    deliveries: record.deliveries.map((d) => ({ created_at: isoTime(d.created_at)!, trigger: d.trigger, status: d.status, attempts: d.attempts, last_status: d.last_status, last_error: d.last_error, url: d.url })),
  };
}

/**
 * The conversion an install was, rebuilt from what is stored (the header above says how), and
 * the touches ingest's candidate lookup finds for it now. Explain and reattribute read the same.
 */
export async function storedCandidates(
  tx: Pick<RecordTx, 'findCandidates'>,
  app: App,
  install: InstallRow,
  deviceIds: DeviceIds,
): Promise<{ conversion: Conversion; candidates: Candidates }> {
  const credited = install.touchpoint_id === null ? [] : [install.touchpoint_id];
  const conversion: Conversion = {
    time: install.installed_at,
    clickIds: install.match_type === 'click_id' ? credited : [],
    viewIds: install.match_type === 'view_id' ? credited : [],
    deviceIds,
    ip: install.ip ?? undefined,
    userAgent: install.user_agent ?? undefined,
    platform: install.platform ?? app.platform,
  };
  const found = await tx.findCandidates(app.app_id, { ids: [...conversion.clickIds, ...conversion.viewIds], deviceIds, ip: conversion.ip, until: install.installed_at });
  const touches = (rows: CandidateRow[]) => rows.map((row) => toCandidate(row, app));
  return { conversion, candidates: { byId: touches(found.byId), byDevice: touches(found.byDevice), byIp: touches(found.byIp) } };
}

/** The touches that could have explained an install at its time, each with its part in the decision. */
async function candidatesOf(store: Pick<IngestStore, 'transaction'>, app: App, install: InstallRow, deviceIds: DeviceIds) {
  const { conversion, candidates } = await store.transaction((tx) => storedCandidates(tx, app, install, deviceIds));
  const seen = new Set<string>();
  const touches = [...candidates.byId, ...candidates.byDevice, ...candidates.byIp].filter((t) => !seen.has(t.touchpoint_id) && seen.add(t.touchpoint_id));
  return explainCandidates(conversion, touches, install.touchpoint_id)
    .sort((a, b) => Number(b.verdict === 'won') - Number(a.verdict === 'won') || b.created_at - a.created_at)
    .map((c) => ({ ...c, created_at: isoTime(c.created_at)! }));
}

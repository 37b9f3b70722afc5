/**
 * A sighting of a user, inside a write transaction: find or create the user, attribute its
 * install on first sight (or a reinstall after a long absence), apply the fraud rules, store
 * the event. Decisions come from domain/; this file only fetches and stores.
 */
import { DEFAULT_REINSTALL_AFTER_DAYS, type App } from '../domain/apps.js';
import { attribute, installCredit, type Conversion, type InstallCredit, type TouchCandidate } from '../domain/attribution.js';
import { DEFAULT_INACTIVITY_S, engage, mayEngage, type EngagementRules } from '../domain/engagement.js';
import { identitiesOf, type Identity } from '../domain/devices.js';
import type { EventRow, InstallRow, UserRow } from '../domain/entities.js';
import { checkFraud, DEFAULT_FRAUD_RULES, IP_FLOOD_WINDOW_MS, type FraudRules } from '../domain/fraud.js';
import { newId } from '../domain/ids.js';
import { toUsd } from '../domain/currency.js';
import { resolveWindows } from '../domain/windows.js';
import { badRequest } from '../errors.js';
import type { CandidateQuery, CandidateRow, RecordTx } from '../storage/store.js';
import { eventSummary } from '../domain/install-summary.js';
import type { Postback } from '../postbacks/formats/index.js';
import { sameNetwork } from '../postbacks/formats/format-spec.js';
import { enqueuePostbacks } from '../postbacks/outbox.js';
import type { AttributionSummary, ConversionOutcome, ConversionRecord } from './records.js';

const DAY_MS = 86_400_000;

/** What ingest needs beyond the record: the app's postbacks (loaded before the transaction). */
export interface IngestContext {
  postbacks: Postback[];
  retryTtlMs: number;
  /** The operator's currency rates (the shipped defaults fill the rest). */
  rates: ReadonlyMap<string, number>;
}

export async function recordConversion(tx: RecordTx, record: ConversionRecord, ctx: IngestContext = { postbacks: [], retryTtlMs: 0, rates: new Map() }): Promise<ConversionOutcome> {
  const appId = record.app.app_id;
  const identities = conversionIdentities(record);
  if (identities.length === 0) throw badRequest('user_id: a user id or a device id is required');

  let user = await tx.findUser(appId, identities);
  let install: InstallRow | undefined;
  let newUser = false;
  let reinstall = false;
  let reinstalled: InstallRow | undefined;
  /** The engagement this sighting began, and the one its event is credited to (that one, or one still running). */
  let began: InstallRow | undefined;
  let credited: InstallRow | undefined;

  if (!user) {
    const created: UserRow = { user_pk: newId(record.time), app_id: appId, created_at: record.time, last_seen_at: record.time, engagement_id: null, engaged_until: null };
    const claimed = await tx.addIdentities(appId, created.user_pk, identities);
    // Fewer claimed than asked: another server process stored this user a moment ago (its
    // commit made our insert wait, then skip the identities it holds). This is that user's
    // sighting, not a second install: identities we did claim move to that user.
    const winner = claimed < identities.length ? await tx.findUser(appId, identities) : undefined;
    if (winner) {
      if (claimed > 0) await tx.moveIdentities(appId, created.user_pk, winner.user_pk);
      user = winner;
    } else if (claimed === 0) {
      throw new Error('identities held by no user');
    } else {
      await tx.insertUser(created);
      user = created;
      newUser = true;
      install = await storeInstall(tx, record, user, 'install', 0);
    }
  }

  if (!newUser) {
    // A user found by its only identity already holds it; more identities may include new ones.
    if (identities.length > 1) await tx.addIdentities(appId, user.user_pk, identities);
    install = await tx.getInstall(appId, user.user_pk);
    const running = await runningEngagement(tx, user, record.time);
    if (isReinstall(record, user)) {
      reinstall = true;
      reinstalled = await storeInstall(tx, record, user, 'reinstall', user.last_seen_at);
    } else {
      began = await storeEngagement(tx, record, user, [install?.campaign_id ?? null, running?.campaign_id ?? null]);
    }
    credited = began ?? running;
    await tx.updateLastSeen(user.user_pk, record.time);
  }

  /** The user's install, rejected by this record (a network's word about its own click), when it was not before. */
  let rejectedNow: InstallRow | undefined;
  if (record.rejection) {
    const { touchpointIds, reason, value } = record.rejection;
    // Read before: the batch's rows are rejected in place.
    const statusBefore = install?.status;
    await tx.rejectInstalls(appId, user.user_pk, touchpointIds, reason, value);
    install = await tx.getInstall(appId, user.user_pk);
    if (!newUser && statusBefore !== undefined && statusBefore !== 'rejected' && install?.status === 'rejected') rejectedNow = install;
    // An engagement credited to a rejected touch is rejected with it: it earns nothing more.
    const rejected = (row: InstallRow | undefined) => row?.touchpoint_id != null && touchpointIds.includes(row.touchpoint_id);
    if (rejected(began)) began = undefined;
    if (rejected(credited)) credited = undefined;
  }

  const postbackContext = {
    app: record.app,
    install,
    deviceIds: record.deviceIds,
    userId: record.userId,
    ip: record.ip,
    userAgent: record.userAgent,
  };
  const outbox = { now: record.receivedAt, ttlMs: ctx.retryTtlMs };
  let postbacksQueued = 0;
  if (newUser && install) postbacksQueued += await enqueuePostbacks(tx, ctx.postbacks, { kind: 'install', install }, postbackContext, outbox);
  if (rejectedNow) postbacksQueued += await enqueuePostbacks(tx, ctx.postbacks, { kind: 'rejection', install: rejectedNow, at: record.time, receivedAt: record.receivedAt }, postbackContext, outbox);
  // A reinstall is sent only where it is asked for (`events` naming it; webhooks by default).
  if (reinstalled) postbacksQueued += await enqueuePostbacks(tx, ctx.postbacks, { kind: 'install', install: reinstalled }, postbackContext, outbox);
  if (began) postbacksQueued += await enqueuePostbacks(tx, ctx.postbacks, { kind: 'engagement', engagement: began }, { ...postbackContext, install: began }, outbox);

  let eventStored = false;
  if (record.event) {
    const e = record.event;
    const event: EventRow = {
      event_pk: newId(record.time),
      app_id: appId,
      user_pk: user.user_pk,
      kind: e.kind,
      name: e.name,
      occurred_at: record.time,
      received_at: record.receivedAt,
      revenue: e.revenue ?? null,
      currency: e.currency ?? null,
      revenue_usd: e.revenue === undefined ? null : toUsd(e.revenue, e.currency ?? 'USD', ctx.rates),
      aggregated_value: e.aggregatedValue ?? null,
      event_value: e.eventValue ?? null,
      product_id: e.productId ?? null,
      ip: record.ip ?? null,
      user_agent: record.userAgent ?? null,
      source: record.source,
      dedup_key: e.dedupKey ?? null,
      ad_source: e.ad?.source ?? null,
      ad_network: e.ad?.network ?? null,
      ad_unit: e.ad?.unit ?? null,
      ad_placement: e.ad?.placement ?? null,
      ad_impressions: e.ad?.impressions ?? null,
    };
    eventStored = await tx.insertEvent(event);
    if (eventStored) {
      if (install?.kind === 'install') await tx.addInstallActivity(install.install_id, eventSummary(event, install.installed_at));
      postbacksQueued += await enqueuePostbacks(tx, ctx.postbacks, { kind: 'event', event }, postbackContext, outbox);
      if (credited) {
        // Double attribution (domain/engagement.ts): the engagement's campaign is credited the
        // event too, and its network's postbacks hear of it when the install's network is another.
        await tx.addInstallActivity(credited.install_id, eventSummary(event, credited.installed_at));
        const others = ctx.postbacks.filter((p) => sameNetwork(p, credited) && !sameNetwork(p, install));
        postbacksQueued += await enqueuePostbacks(tx, others, { kind: 'event', event }, { ...postbackContext, install: credited }, outbox);
      }
    }
  }

  return { userPk: user.user_pk, newUser, reinstall, attribution: summarize(install), eventStored, postbacksQueued };
}

/** The identities a conversion names its user by. */
export function conversionIdentities(record: ConversionRecord): Identity[] {
  return [...identitiesOf(record.deviceIds, record.userId), ...(record.extraIdentities ?? [])];
}

/** Whether this sighting of a known user is a reinstall: it comes after the app's absence limit. */
export function isReinstall(record: ConversionRecord, user: UserRow): boolean {
  const absenceDays = record.app.settings.reinstall_after_days ?? DEFAULT_REINSTALL_AFTER_DAYS;
  return record.time - user.last_seen_at > absenceDays * DAY_MS;
}

/** The window installs from one IP are counted over before this record's install. */
export function ipFloodWindow(record: ConversionRecord): { since: number; until: number } {
  return { since: record.time - IP_FLOOD_WINDOW_MS, until: record.time + 1 };
}

/** The touchpoints a record's install may be credited to: by its ids, its device ids, its IP, until its time. */
export function candidateQuery(record: ConversionRecord): CandidateQuery {
  return { ids: [...record.clickIds, ...record.viewIds], deviceIds: record.deviceIds, ip: record.ip, until: record.time };
}

/** The user's engagement still credited at `time`, if any. */
async function runningEngagement(tx: RecordTx, user: UserRow, time: number): Promise<InstallRow | undefined> {
  if (user.engagement_id === null || user.engaged_until === null || user.engaged_until <= time) return undefined;
  const row = await tx.getInstallById(user.engagement_id);
  return row && row.status === 'attributed' && row.installed_at <= time ? row : undefined;
}

export function engagementRules(app: App): EngagementRules {
  return { inactivityS: app.settings.inactivity_window_s ?? DEFAULT_INACTIVITY_S, probabilistic: app.settings.re_engagement_probabilistic ?? false };
}

/**
 * The touchpoints a known user's sighting may be an engagement by, or undefined when it cannot
 * be one (no lookup then): clicks since its last sighting, by click id and device id, by IP only
 * where the app allows it.
 */
export function engagementQuery(record: ConversionRecord, user: UserRow): CandidateQuery | undefined {
  const rules = engagementRules(record.app);
  if (record.senderAttribution || !mayEngage(record.time, { lastSeenAt: user.last_seen_at }, rules, record.app.has_retargeting)) return undefined;
  return { ids: record.clickIds, deviceIds: record.deviceIds, ip: rules.probabilistic ? record.ip : undefined, until: record.time, since: user.last_seen_at + 1 };
}

/**
 * Stores the re-engagement or reattribution this sighting of a known user is, if any
 * (domain/engagement.ts), and points the user at it. Of the fraud rules only the blocked IP
 * ranges apply: the count per IP is about installs, and click-to-install time is about click
 * injection before an install, where a deep link opens the app within a second of its click.
 * Returns it when it stands (a rejected one is kept, but credits nothing).
 */
async function storeEngagement(tx: RecordTx, record: ConversionRecord, user: UserRow, creditedCampaigns: (string | null)[]): Promise<InstallRow | undefined> {
  const query = engagementQuery(record, user);
  if (!query) return undefined;
  const app = record.app;
  const rows = await tx.findCandidates(app.app_id, query);
  const usable = (list: CandidateRow[]): TouchCandidate[] => list.map((r) => toCandidate(r, app));
  const found = engage(
    sightingOf(record),
    { lastSeenAt: user.last_seen_at, creditedCampaigns },
    { byId: usable(rows.byId), byDevice: usable(rows.byDevice), byIp: usable(rows.byIp) },
    engagementRules(app),
  );
  if (!found) return undefined;
  const rejection = checkFraud(
    { installedAt: record.time, touchedAt: found.touched_at, touchKind: found.touchpoint_kind, ip: record.ip, installsFromIpLast24h: 0 },
    { ...fraudRules(app), maxInstallsPerIp: null, minCtitSeconds: 0 },
  );
  const row = installRow(record, user, found.kind, installCredit(found, rejection));
  await tx.insertInstall(row, false);
  if (rejection) return undefined;
  await tx.engageUser(user.user_pk, row.install_id, found.creditUntil);
  return row;
}

/** A record as the attribution engine reads it. */
function sightingOf(record: ConversionRecord): Conversion {
  return {
    time: record.time,
    clickIds: record.clickIds,
    viewIds: record.viewIds,
    deviceIds: record.deviceIds,
    ip: record.ip,
    userAgent: record.userAgent,
    platform: record.platform ?? record.app.platform,
    storefront: record.storefront,
  };
}

/** Attributes and stores an install (or reinstall) of `user` at the record's time. */
async function storeInstall(
  tx: RecordTx,
  record: ConversionRecord,
  user: UserRow,
  kind: InstallRow['kind'],
  touchesAfter: number,
): Promise<InstallRow> {
  const app = record.app;
  if (record.senderAttribution) {
    // The sender's own words: its network name takes the app's first spelling of it.
    const claim = record.senderAttribution;
    const network = claim.network === null ? null : await tx.networkSpelling(app.app_id, claim.network);
    return insertInstall(tx, record, user, kind, installCredit({ ...claim, network }, null));
  }
  const rows = await tx.findCandidates(app.app_id, candidateQuery(record));
  const usable = (list: CandidateRow[]): TouchCandidate[] => list.filter((r) => r.created_at > touchesAfter).map((r) => toCandidate(r, app));
  const decision = attribute(sightingOf(record), { byId: usable(rows.byId), byDevice: usable(rows.byDevice), byIp: usable(rows.byIp) });

  let rejection: { reason: string; value: string } | null = null;
  if (decision.status === 'attributed') {
    const rules = fraudRules(app);
    const installsFromIp =
      rules.maxInstallsPerIp !== null && record.ip !== undefined
        ? await tx.countInstallsFromIp(app.app_id, record.ip, ipFloodWindow(record).since, ipFloodWindow(record).until)
        : 0;
    rejection = checkFraud(
      { installedAt: record.time, touchedAt: decision.touched_at, touchKind: decision.touchpoint_kind, ip: record.ip, installsFromIpLast24h: installsFromIp },
      rules,
    );
  }

  return insertInstall(tx, record, user, kind, installCredit(decision, rejection));
}

async function insertInstall(
  tx: RecordTx,
  record: ConversionRecord,
  user: UserRow,
  kind: InstallRow['kind'],
  credit: InstallCredit,
): Promise<InstallRow> {
  const app = record.app;
  const row = installRow(record, user, kind, credit);
  const countIp = fraudRules(app).maxInstallsPerIp !== null;
  if (kind === 'install' && !(await tx.insertInstall(row, countIp))) {
    return (await tx.getInstall(app.app_id, user.user_pk)) ?? row;
  }
  if (kind === 'reinstall') await tx.insertInstall(row, countIp);
  return row;
}

/** The row of an install, reinstall or engagement of `user` at the record's time. */
function installRow(record: ConversionRecord, user: UserRow, kind: InstallRow['kind'], credit: InstallCredit): InstallRow {
  const app = record.app;
  return {
    install_id: newId(record.time),
    app_id: app.app_id,
    user_pk: user.user_pk,
    kind,
    installed_at: record.time,
    ...credit,
    ip: record.ip ?? null,
    user_agent: record.userAgent ?? null,
    platform: record.platform ?? app.platform,
    source: record.source,
  };
}

export function fraudRules(app: App): FraudRules {
  return {
    minCtitSeconds: app.settings.min_ctit_s ?? DEFAULT_FRAUD_RULES.minCtitSeconds,
    maxInstallsPerIp: app.settings.max_installs_per_ip ?? DEFAULT_FRAUD_RULES.maxInstallsPerIp,
    blockedCidrs: app.settings.blocked_cidrs,
  };
}

export function toCandidate(row: CandidateRow, app: App): TouchCandidate {
  return {
    touchpoint_id: row.touchpoint_id,
    kind: row.kind,
    campaign_id: row.campaign_id,
    campaign_kind: row.campaign_kind === 'retargeting' ? 'retargeting' : 'acquisition',
    network: row.network,
    created_at: row.created_at,
    ip: row.ip,
    user_agent: row.user_agent,
    platform: row.platform,
    storefront: row.storefront,
    idfa: row.idfa,
    gaid: row.gaid,
    uuid: row.uuid,
    fire_adid: row.fire_adid,
    windows: resolveWindows(
      {
        click: app.settings.click_window_s,
        view: app.settings.view_window_s,
        probabilistic: app.settings.probabilistic_window_s,
        reEngagement: app.settings.re_engagement_window_s,
        reEngagementAttribution: app.settings.re_engagement_attribution_window_s,
      },
      {
        click: row.campaign_click_window_s,
        view: row.campaign_view_window_s,
        probabilistic: row.campaign_probabilistic_window_s,
        reEngagement: row.campaign_re_engagement_window_s,
        reEngagementAttribution: row.campaign_re_engagement_attribution_window_s,
      },
    ),
  };
}

/** The attribution as senders see it (Swaarm's s2sevent answer). */
export function summarize(install: InstallRow | undefined): AttributionSummary {
  if (!install) return { status: 'organic', match_type: 'organic', campaign_id: null, network: null, click_id: null, rejected_reason: null };
  return {
    status: install.status,
    match_type: install.match_type as AttributionSummary['match_type'],
    campaign_id: install.campaign_id,
    network: install.network,
    click_id: install.touchpoint_id,
    rejected_reason: install.rejected_reason,
  };
}

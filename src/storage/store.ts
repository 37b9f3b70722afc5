/**
 * The storage ports: one interface per concern, each implemented once with Kysely for both
 * databases over the dialect's hooks (dialect.ts): CatalogStore (catalog-queries.ts),
 * IngestStore and its IngestTx (ingest-queries.ts, ingest-tx.ts), OutboxStore
 * (outbox-queries.ts), ReportStore (report-queries.ts), CostStore (cost-queries.ts) and
 * MaintenanceStore (maintenance.ts).
 * `Store` is all of them, as `openStore` returns it; each consumer takes the narrowest port it
 * uses. Nothing outside storage/ knows which database runs.
 */
import type { App, AppSettings, Campaign, Platform, Store as Storefront, TokenInfo } from '../domain/apps.js';
import type { CampaignKind } from '../domain/attribution.js';
import type { DeviceIds, Identity } from '../domain/devices.js';
import type { DeliveryAttemptRow, DeliveryRow, EventRow, InstallRow, PostbackRow, SkanPostbackRow, Touchpoint, UserRow } from '../domain/entities.js';
import type { CostRow } from '../domain/costs.js';
import type { InstallCredit } from '../domain/attribution.js';
import type { InstallSummary } from '../domain/install-summary.js';
import type { GroupBy, ReportCounters } from '../domain/metrics.js';
import type { SegmentRule } from '../domain/segments.js';
import type { ConversionSchema, SkanCount } from '../domain/skan-report.js';
import type { CandidateMatch } from './batch-sql.js';

// ---------------------------------------------------------------------------------------------
// Catalog: what the operator configures (apps, tokens, campaigns, postbacks, currency rates,
// segments). Read on the hot path through caches (ingest/catalog.ts, auth/token-auth.ts).

export interface NewApp {
  /** Given when the app already has ids elsewhere (its Chartboost app id and signature). */
  app_id?: string | undefined;
  app_signature?: string | undefined;
  name: string;
  platform: Platform;
  store: Storefront;
  store_url: string | null;
}

export interface NewToken {
  name: string | null;
  token_hash: string;
  token_prefix: string;
  secret: string | null;
  app_ids: string[];
}

/** What an inbound request may do with a token: read on every authenticated request, so kept small. */
export interface TokenGrant {
  token_id: string;
  secret: string | null;
  app_ids: string[];
  revoked: boolean;
}

export interface NewCampaign {
  app_id: string;
  network: string;
  name: string;
  cpi: number | null;
  click_window_s: number | null;
  view_window_s: number | null;
  probabilistic_window_s: number | null;
  /** Absent: `acquisition`. */
  kind?: CampaignKind | undefined;
  /** Absent: the app's. */
  re_engagement_window_s?: number | null | undefined;
  re_engagement_attribution_window_s?: number | null | undefined;
}

/** An operator's currency rate: USD per unit. */
export interface CurrencyRate {
  currency: string;
  usd_per_unit: number;
  updated_at: number;
}

export interface SegmentRow {
  segment_id: string;
  app_id: string;
  name: string;
  rules: SegmentRule[];
  created_at: number;
}

export interface CatalogStore {
  createApp(app: NewApp): Promise<App>;
  getApp(appId: string): Promise<App | undefined>;
  /** Replaces the given settings; returns the app as it now is, or undefined if unknown. */
  updateAppSettings(appId: string, settings: Partial<AppSettings>): Promise<App | undefined>;
  listApps(): Promise<App[]>;

  createToken(token: NewToken): Promise<TokenInfo>;
  listTokens(): Promise<TokenInfo[]>;
  findTokenByHash(tokenHash: string): Promise<TokenGrant | undefined>;
  /** Marks a token revoked, found by its hash or its id; undefined when no such token exists. */
  revokeToken(by: { token_hash: string } | { token_id: string }): Promise<TokenInfo | undefined>;

  createCampaign(campaign: NewCampaign): Promise<Campaign>;
  getCampaign(campaignId: string): Promise<Campaign | undefined>;
  listCampaigns(appId?: string): Promise<Campaign[]>;

  createPostback(row: PostbackRow): Promise<void>;
  /** Active postbacks, of one app or all. */
  listPostbacks(appId?: string): Promise<PostbackRow[]>;
  /** A postback or webhook by its id, removed or not. */
  getPostback(postbackId: string): Promise<PostbackRow | undefined>;
  /** Stops a postback (its log stays); false if there was none. */
  removePostback(postbackId: string): Promise<boolean>;

  /** The operator's currency rates (USD per unit), overriding the shipped defaults. */
  listRates(): Promise<CurrencyRate[]>;
  setRate(currency: string, usdPerUnit: number): Promise<void>;

  createSegment(row: SegmentRow): Promise<void>;
  getSegment(segmentId: string): Promise<SegmentRow | undefined>;
  listSegments(appId: string): Promise<SegmentRow[]>;

  /**
   * Sets (or, with null, removes) the app's name in another protocol, and the event names that
   * protocol's event tokens stand for (null removes one). In one transaction; false when the
   * alias already names another app.
   */
  setAliases(appId: string, protocol: string, change: AliasChange): Promise<boolean>;
  /** The app an alias names in a protocol. */
  findAppByAlias(protocol: string, alias: string): Promise<string | undefined>;
  /** The app's aliases in every protocol, and its event aliases. */
  listAliases(appId: string): Promise<AppAliases>;
}

/** What `setAliases` changes: the app's alias (undefined: unchanged), and event aliases by token. */
export interface AliasChange {
  app?: string | null;
  events?: Record<string, string | null>;
}

/** An app's names in other protocols: `{ adjust: '4w565xzmb54d' }`, and `{ adjust: { f0ob4r: 'purchase' } }`. */
export interface AppAliases {
  apps: Record<string, string>;
  events: Record<string, Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// Ingest: the transaction that stores clicks, installs and events (and queues their postbacks),
// and the reads of what it stored.

/** The touchpoint columns attribution reads (a lookup returning all ~25 costs a third more). */
export const CANDIDATE_COLUMNS = [
  'touchpoint_id', 'kind', 'campaign_id', 'network', 'created_at', 'ip', 'user_agent', 'platform', 'storefront', 'idfa', 'gaid', 'uuid', 'fire_adid',
] as const satisfies readonly (keyof Touchpoint)[];

/** A touchpoint with its campaign's window overrides, as attribution needs it. */
export interface CandidateRow extends Pick<Touchpoint, (typeof CANDIDATE_COLUMNS)[number]> {
  campaign_click_window_s: number | null;
  campaign_view_window_s: number | null;
  campaign_probabilistic_window_s: number | null;
  /** The campaign's kind; null for a touch of no known campaign. */
  campaign_kind: string | null;
  campaign_re_engagement_window_s: number | null;
  campaign_re_engagement_attribution_window_s: number | null;
}

export interface CandidateQuery {
  /** Ids that may name a touchpoint (click ids, completed view ids). */
  ids: string[];
  deviceIds: DeviceIds;
  ip: string | undefined;
  /** Epoch ms: touches after this are never candidates. */
  until: number;
  /** Epoch ms: touches before this are not either (an engagement's lookup); else the lookbacks decide. */
  since?: number | undefined;
}

/** How far back candidate lookups reach; windows are capped below these (see admin schemas). */
export const DEVICE_LOOKBACK_MS = 90 * 86_400_000;
export const IP_LOOKBACK_MS = 7 * 86_400_000;


/**
 * The record-level operations of one transaction: what storing one click, install or event
 * asks of the database (ingest/conversions.ts). The batch view (ingest/batch-view.ts) answers
 * them from memory for a whole group commit; the database's own IngestTx answers them too, one
 * record at a time, over the set-wise statements of BatchTx.
 */
export interface RecordTx {
  /** How the app first spelt `network` (its campaigns and postbacks compare case-insensitively), else `network`. */
  networkSpelling(appId: string, network: string): Promise<string>;
  getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined>;
  /** The user any of these identities belongs to (the oldest, if they disagree). */
  findUser(appId: string, identities: Identity[]): Promise<UserRow | undefined>;
  insertUser(row: UserRow): Promise<void>;
  /**
   * Links identities to a user; an identity already linked (to anyone) is left alone. Returns
   * how many were new: 0 for a user created this instant means another process won the race.
   */
  addIdentities(appId: string, userPk: string, identities: Identity[]): Promise<number>;
  /** Hands every identity of one user to another (the loser of a creation race to its winner). */
  moveIdentities(appId: string, fromUserPk: string, toUserPk: string): Promise<void>;
  updateLastSeen(userPk: string, time: number): Promise<void>;
  /** Points the user at its running engagement (an `installs` row of an engagement kind), credited until `until`. */
  engageUser(userPk: string, engagementId: string, until: number): Promise<void>;
  /** An install row (of any kind) by its id. */
  getInstallById(installId: string): Promise<InstallRow | undefined>;
  findCandidates(appId: string, query: CandidateQuery): Promise<{ byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] }>;
  /**
   * Installs of the app from this IP with installed_at in [since, until), among those stored
   * with the IP counted (`insertInstall`'s `countIp`).
   */
  countInstallsFromIp(appId: string, ip: string, since: number, until: number): Promise<number>;
  /**
   * Inserts an install; false when the user already has one (the unique index decided).
   * `countIp`: the app limits installs per IP, so `countInstallsFromIp` must see this one.
   */
  insertInstall(row: InstallRow, countIp: boolean): Promise<boolean>;
  getInstall(appId: string, userPk: string): Promise<InstallRow | undefined>;
  /** Inserts an event; false when its dedup key was already stored. */
  insertEvent(row: EventRow): Promise<boolean>;
  /** Queues outbound requests; one per (postback, cause), a repeat is ignored. Returns how many were new. */
  insertDeliveries(rows: DeliveryRow[]): Promise<number>;
  /** Adds a sighting's opens, purchases, revenue and activity day to the install's summary. */
  addInstallActivity(installId: string, activity: InstallSummary): Promise<void>;
  /** Marks the user's installs credited to any of these touchpoints rejected; returns how many. */
  rejectInstalls(appId: string, userPk: string, touchpointIds: string[], reason: string, value: string | null): Promise<number>;
}

/** A user's new last sighting, and the engagement it began (null for none). */
export interface LastSeen {
  user_pk: string;
  seen_at: number;
  engagement_id: string | null;
  engaged_until: number | null;
}

/** An identity of the app, as the batch statements name it. */
export interface AppIdentity {
  app_id: string;
  kind: string;
  value: string;
}

/** One candidate lookup of a batch: touchpoints of the app matching `value` by `how`, in [since, until]. */
export interface CandidateLookup {
  /** The caller's number for the lookup, given back with each row. */
  i: number;
  how: CandidateMatch;
  app_id: string;
  value: string;
  since: number;
  until: number;
}

/** A touchpoint found by a candidate lookup, as attribution reads it, with the lookup. */
export interface CandidateMatchRow extends CandidateRow {
  i: number;
  how: CandidateMatch;
}

/** One count of a batch: installs of the app from `ip` with installed_at in [since, until). */
export interface IpCountLookup {
  i: number;
  app_id: string;
  ip: string;
  since: number;
  until: number;
}

/**
 * An install to store, with the IP it counts under (null unless the app limits installs per
 * IP) and its summary so far (the sightings of the batch that stores it).
 */
export type InstallInsert = InstallRow & InstallSummary & { counted_ip: string | null };

/** A rejection of the installs of a user credited to one touchpoint. */
export interface InstallRejection {
  app_id: string;
  user_pk: string;
  touchpoint_id: string;
  reason: string;
  detail: string | null;
}

/**
 * The set-wise operations of one transaction: every statement takes a whole group commit's rows
 * at once, so a batch runs the same few statements however many records it holds
 * (storage/batch-sql.ts).
 */
export interface BatchTx {
  /** Which of these identities belong to a user, to whom, and that user's first install (kind `install`) if any. */
  findUsersOf(identities: AppIdentity[]): Promise<(AppIdentity & { user: UserRow; install: InstallRow | undefined })[]>;
  /** The first installs (kind `install`) of these users. */
  installsOf(users: { app_id: string; user_pk: string }[]): Promise<InstallRow[]>;
  /** Install rows of any kind, by id. */
  installsById(ids: string[]): Promise<InstallRow[]>;
  candidatesFor(lookups: CandidateLookup[]): Promise<CandidateMatchRow[]>;
  /** Each lookup's count (by its `i`), among installs stored with their IP counted. */
  ipInstallCounts(lookups: IpCountLookup[]): Promise<Map<number, number>>;
  /** The event dedup keys already claimed, and when. */
  eventClaimsOf(keys: { app_id: string; dedup_key: string }[]): Promise<{ app_id: string; dedup_key: string; created_at: number }[]>;
  touchpointsOf(ids: string[]): Promise<Touchpoint[]>;
  insertUsers(rows: UserRow[]): Promise<void>;
  /** Links identities to users, leaving alone those already linked; returns those that were new. */
  claimIdentities(rows: (AppIdentity & { user_pk: string })[]): Promise<AppIdentity[]>;
  /** Hands every identity of one user to another. */
  moveIdentityOwners(moves: { app_id: string; from_pk: string; to_pk: string }[]): Promise<void>;
  /** Returns the ids of the installs rejected. */
  rejectInstallsOf(rejections: InstallRejection[]): Promise<string[]>;
  /** Inserts installs; a first install of a user who has one already is skipped. Returns the ids stored. */
  insertInstalls(rows: InstallInsert[]): Promise<Set<string>>;
  addInstallActivities(rows: (InstallSummary & { install_id: string })[]): Promise<void>;
  /** Moves each user's last_seen_at forward to `seen_at` (never back), and points it at the engagement given, if any. */
  updateLastSeenOf(rows: LastSeen[]): Promise<void>;
  /**
   * Claims event dedup keys (an expired `key:` claim is taken over); returns those claimed, as
   * `app_id` NUL `dedup_key`.
   */
  claimEventKeys(rows: { app_id: string; dedup_key: string; event_pk: string; created_at: number }[]): Promise<Set<string>>;
  insertEvents(rows: EventRow[]): Promise<void>;
  /** Queues outbound requests, a repeated (postback, cause) ignored; returns the ids stored. */
  insertDeliveryRows(rows: DeliveryRow[]): Promise<Set<string>>;
  /**
   * Claims idempotency keys for record ids (an expired claim is taken over) and returns the id
   * each key stands for now, by `app_id` NUL `idem_key`. One claim per key.
   */
  claimIdempotencyKeys(claims: { app_id: string; idem_key: string; record_id: string; created_at: number }[]): Promise<Map<string, string>>;
  /** Inserts touchpoints, ignoring ids already stored; returns the ids that were new. */
  insertTouchpoints(rows: Touchpoint[]): Promise<Set<string>>;
  /** Inserts Apple postbacks, a repeat of one stored (same ad network, transaction, sequence index) ignored; returns the keys stored. */
  insertSkanPostbacks(rows: SkanPostbackRow[]): Promise<Set<string>>;
}

/** Everything one ingest transaction can do. Everything done through it commits or rolls back together. */
export type IngestTx = RecordTx & BatchTx;

/**
 * Another server process stored, a moment ago, a row this batch expected to store (a new
 * user's identity, an event's dedup key): its view of the database was stale, so the whole
 * transaction is rolled back and run again, and the second run sees that process's rows.
 */
export class ConcurrentWriteError extends Error {
  constructor(what: string) {
    super(`another process stored ${what} during this batch`);
  }
}

export interface IngestStore {
  /** How many group commits may run at once: 1 for SQLite's single writer, more for a pool. */
  readonly writeConcurrency: number;
  /**
   * Runs `work` in one transaction: all of it commits, or none of it (and the error is
   * rethrown). A transaction the database rolled back over a conflict with another (a deadlock)
   * is run again.
   */
  transaction<T>(work: (tx: IngestTx) => Promise<T>): Promise<T>;
  getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined>;
  /** The record a key named, if the key was used since `since`. */
  findIdempotencyKey(appId: string, key: string, since: number): Promise<string | undefined>;
  getInstallByUser(appId: string, identity: Identity): Promise<InstallRow | undefined>;
  listInstalls(appId: string): Promise<InstallRow[]>;
  listEvents(appId: string): Promise<EventRow[]>;
}

// ---------------------------------------------------------------------------------------------
// Outbox: the deliveries ingest queued, claimed and sent by the dispatcher, listed and retried
// by the operator.

/** How one delivery attempt ended, and what the delivery becomes. */
export interface DeliveryUpdate {
  status: DeliveryRow['status'];
  attempts: number;
  next_attempt_at: number;
  finished_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface OutboxStore {
  /**
   * Takes up to `limit` due deliveries for this process for `leaseMs`: another process (or
   * this one after a crash) can take them only once the lease runs out. PostgreSQL claims
   * with FOR UPDATE SKIP LOCKED; SQLite has one writer, so a plain update is already atomic.
   */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<DeliveryRow[]>;
  /** Records attempts and their deliveries' new states in one transaction (a webhook's batch is one request). */
  recordAttempts(entries: readonly { attempt: DeliveryAttemptRow; update: DeliveryUpdate }[]): Promise<void>;
  /** Lets claimed but unsent deliveries go (on a graceful stop). */
  releaseClaims(deliveryIds: string[]): Promise<void>;
  listDeliveries(filter: { appId?: string; postbackId?: string; status?: DeliveryRow['status']; limit: number }): Promise<DeliveryRow[]>;
  getDelivery(deliveryId: string): Promise<DeliveryRow | undefined>;
  listAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]>;
  /** Puts a failed or dead delivery back in the queue, due now, with a fresh TTL. */
  retryDelivery(deliveryId: string, now: number, ttlMs: number): Promise<DeliveryRow | undefined>;
  countDeliveries(): Promise<Record<DeliveryRow['status'], number>>;
}

// ---------------------------------------------------------------------------------------------
// Reports: the read side of reports, cohorts and audiences.

/** What a report asks of storage: one app, a range of UTC install days, one grouping. */
export interface RejectionCount {
  reason: string;
  campaign_id: string | null;
  network: string | null;
  installs: number;
}

export interface ReportQuery {
  appId: string;
  /** Day numbers (days since the epoch, UTC), both included. */
  fromDay: number;
  toDay: number;
  groupBy: GroupBy;
  /** Today's day number: which cohort days have begun. */
  today: number;
}

/**
 * Counters of one group and one campaign inside it (spend needs each campaign's CPI). The key
 * is the day number, the campaign id or the network; null for "none" (organic).
 */
export interface ReportCounterRow {
  key: number | string | null;
  /** The install day (spend is per day and campaign). */
  day: number;
  campaign_id: string | null;
  /**
   * By network: the network as stored (the key). By campaign: the network of installs a sender
   * claimed outside any campaign (null for the rest). By day: null.
   */
  network: string | null;
  /** Epoch ms of the row's earliest install: which spelling of a network came first. */
  first_at: number;
  counters: ReportCounters;
}

/** Clicks and views of one group and campaign. */
export interface TouchCountRow {
  key: number | string | null;
  campaign_id: string | null;
  clicks: number;
  views: number;
}

/** One install day of the cohort matrix: its users and how many opened on day 0, 1, 2, … */
export interface CohortDayRow {
  day: number;
  users: number;
  retained: number[];
}

export interface ReportStore {
  /** Install-side counters of a report (clicks, views and spend are 0 here). */
  reportInstallCounters(query: ReportQuery): Promise<ReportCounterRow[]>;
  /** Installs refused by a fraud rule or their network in the range's install days, by reason and campaign. */
  rejectionCounts(range: { appId: string; fromDay: number; toDay: number }): Promise<RejectionCount[]>;
  /** Clicks and views of the days in range, by the same keys. */
  reportTouchCounts(query: ReportQuery): Promise<TouchCountRow[]>;
  /** The retention matrix: cohort users per install day and who opened on day 0..maxDay. */
  cohortMatrix(appId: string, fromDay: number, toDay: number, maxDay: number): Promise<CohortDayRow[]>;
  /** The device ids and user ids of the app's users matching every rule, user by user. */
  segmentIdentities(appId: string, rules: SegmentRule[], now: number): Promise<Identity[]>;
  /** Every device id the app has seen (negative targeting), oldest first. */
  listKnownDevices(appId: string): Promise<Identity[]>;
  /** What is stored of one user, for `s2s explain`: found by a device id (any kind) or a user id. */
  userRecord(appId: string, id: string, as: 'device' | 'user'): Promise<UserRecord | undefined>;
}

/** One user as stored: identities, installs of every kind, its newest events, the deliveries they caused. */
export interface UserRecord {
  user: UserRow;
  identities: Identity[];
  installs: InstallRow[];
  /** Newest first, at most USER_RECORD_EVENTS. */
  events: EventRow[];
  deliveries: DeliveryRow[];
}

export const USER_RECORD_EVENTS = 1000;

// ---------------------------------------------------------------------------------------------
// Costs: what campaigns spent, by day (reports use it over CPI × installs).

export interface CostStore {
  /** Replaces the app's costs of each of `days` with `rows` (all of one app), in one transaction. */
  replaceCosts(appId: string, days: readonly number[], rows: readonly CostRow[]): Promise<void>;
  /** The app's costs of days fromDay..toDay, by day and campaign. */
  listCosts(appId: string, fromDay: number, toDay: number): Promise<CostRow[]>;
}

// ---------------------------------------------------------------------------------------------
// Apple's postbacks (SKAdNetwork, AdAttributionKit): written by ingest, listed here.

// Erasure: a user's personal data removed at its owner's request, and the log of it.

/** Whom an erasure names: device ids (any kind) and sender user ids, of one app. */
export interface ErasureRequest {
  devices: string[];
  userIds: string[];
}

/** What an erasure did: rows deleted or stripped per table. Never the ids themselves. */
export interface ErasureRow {
  erasure_id: string;
  app_id: string;
  requested_at: number;
  /** Who asked: cli, admin, or adjust (its gdpr_forget_device). */
  source: string;
  users: number;
  /** Rows per table, deleted (identities, touchpoints, events, event keys, deliveries, idempotency keys) or stripped (installs). */
  rows: Record<string, number>;
}

export interface ErasureStore {
  /** Deletes or strips every row holding the named users' ids, in one transaction, and logs it. */
  forget(appId: string, request: ErasureRequest, source: string, now: number): Promise<ErasureRow>;
  listErasures(appId: string): Promise<ErasureRow[]>;
}

export interface SkanMapping {
  ad_network_id: string;
  source_identifier: string;
  campaign_id: string;
}

export interface SkanStore {
  /** The app's postbacks, newest first, at most `limit`. */
  listSkanPostbacks(appId: string, limit: number): Promise<SkanPostbackRow[]>;
  /** Maps an ad network's campaign or source id to a campaign; null removes the mapping. */
  setSkanMapping(appId: string, adNetworkId: string, sourceIdentifier: string, campaignId: string | null): Promise<void>;
  listSkanMappings(appId: string): Promise<SkanMapping[]>;
  /** Replaces the app's whole conversion-value schema. */
  replaceSkanSchema(appId: string, schema: ConversionSchema): Promise<void>;
  getSkanSchema(appId: string): Promise<ConversionSchema>;
  /** Verified postbacks received in [from, until), counted by what reports group and decode them by. */
  countSkanPostbacks(appId: string, from: number, until: number): Promise<SkanCount[]>;
}

// ---------------------------------------------------------------------------------------------
// Maintenance: the database itself (schema, health, retention).

export type DialectName = 'sqlite' | 'postgres';

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

/** What `s2s prune` removed: whole monthly partitions (PostgreSQL) and single rows. */
export interface PruneReport {
  dropped_partitions: string[];
  deleted_rows: { touchpoints: number; events: number; event_dedup: number; idempotency_keys: number };
}

export interface MaintenanceStore {
  readonly dialect: DialectName;
  /** Creates the database (and schema) if needed and applies every pending migration. */
  migrate(): Promise<MigrationReport>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Creates the coming months' partitions (PostgreSQL; a no-op on SQLite); returns their names. */
  ensurePartitions(now: number): Promise<string[]>;
  /**
   * Removes clicks, views and events from before `cutoff` (epoch ms), and dedup and idempotency
   * keys as old. Users, installs and their report summaries stay, so reports do not change.
   */
  prune(cutoff: number): Promise<PruneReport>;
  /**
   * Removes IP addresses and user agents from clicks, views, events and installs from before
   * `cutoff`, and from `since` on (0: all), a chunk at a time (each chunk its own statement, the
   * event loop served between them). Clicks and views are found by their IP (its index holds
   * only rows that still have one); `everything` also strips those with only a user agent, which
   * reads whole tables (`s2s prune`). Returns the rows stripped per table.
   */
  stripNetworkData(cutoff: number, since: number, everything?: boolean): Promise<Record<'touchpoints' | 'events' | 'installs', number>>;
  /**
   * Claims a job for `leaseMs` unless another process holds it (one runs at a time across
   * processes). Returns where its last run got to (`done_until`, 0 the first time), or undefined
   * when it is not this process's turn.
   */
  claimJob(name: string, now: number, leaseMs: number): Promise<number | undefined>;
  /** Records where a claimed job's run got to. */
  finishJob(name: string, doneUntil: number): Promise<void>;
  /** Gives a claimed job's lease back (its run failed): the next check may run it again. */
  releaseJob(name: string): Promise<void>;
}

/** Every port: what `openStore` returns, for the composition root, the CLI and tests. */
// Exports: the rows of one kind in a time range, a page at a time, so that memory stays flat.

/** What an export reads (reports/export.ts). */
export type ExportType = 'installs' | 'events' | 'touchpoints' | 'deliveries' | 'skan';

export interface ExportPageQuery {
  type: ExportType;
  appId: string;
  /** [since, until), epoch ms, of the row's own time (installed, occurred, created, received). */
  since: number;
  until: number;
  /** The last row of the page before: this page starts after it in (time, id) order. */
  after: { time: number; id: string } | undefined;
  limit: number;
  /** Touchpoints are read one campaign at a time; null: those that credit none. */
  campaignId?: string | null;
  /** The columns to read: the export's own fixed list, never a caller's text. */
  columns: readonly string[];
}

export interface ExportStore {
  /** One page of rows in (time, id) order, and the (time, id) of its last row, where the next page starts. */
  exportPage(query: ExportPageQuery): Promise<{ rows: Record<string, unknown>[]; last: { time: number; id: string } | undefined }>;
}

// What-if windows: installs replayed under other windows, and their attribution rewritten.

export interface ReplayStore {
  /** First installs and reinstalls of [since, until) in (time, id) order after `after`, each with its user's device ids now. */
  replayInstalls(
    appId: string,
    since: number,
    until: number,
    after: { time: number; id: string } | undefined,
    limit: number,
  ): Promise<{ install: InstallRow; deviceIds: DeviceIds }[]>;
  /**
   * Rewrites installs' attribution in one transaction, each only if it is still as `from` says
   * (status and credited touch); returns how many were rewritten. Queues no postback.
   */
  reattributeInstalls(changes: readonly { installId: string; from: InstallCredit; to: InstallCredit }[]): Promise<number>;
}

export type Store = CatalogStore & IngestStore & OutboxStore & ReportStore & CostStore & SkanStore & ErasureStore & MaintenanceStore & ExportStore & ReplayStore;

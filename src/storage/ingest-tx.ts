import { CompiledQuery, type Kysely } from 'kysely';
import { DEVICE_ID_KINDS, type Identity } from '../domain/devices.js';
import type { DeliveryRow, EventRow, InstallRow, SkanPostbackRow, Touchpoint, UserRow } from '../domain/entities.js';
import { emptySummary, type InstallSummary } from '../domain/install-summary.js';
import { DAY_MS } from '../domain/metrics.js';
import { CANDIDATE_MATCHES, type BatchStatements } from './batch-sql.js';
import type { BatchParameter } from './dialect.js';
import { networkSpelling } from './networks.js';
import { INSTALL_COLUMNS, type Database, type TouchpointDaysTable } from './schema.js';
import {
  DEVICE_LOOKBACK_MS,
  IP_LOOKBACK_MS,
  type AppIdentity,
  type CandidateLookup,
  type CandidateMatchRow,
  type CandidateQuery,
  type CandidateRow,
  type InstallInsert,
  type InstallRejection,
  type IngestTx,
  type IpCountLookup,
  type LastSeen,
} from './store.js';

/** The rows as JSON text, which PostgreSQL reads with json_to_recordset. */
const jsonParameter = (rows: readonly object[]): BatchParameter => ({ value: JSON.stringify(rows), release: () => {} });


/** `app_id` NUL `key`: how the batch statements' answers are keyed. */
export const appKey = (appId: string, key: string): string => `${appId}\u0000${key}`;

/**
 * The ingest transaction's queries (IngestTx), shared by both dialects. The set-wise ones run
 * the batch statements of batch-sql.ts, one statement for all the rows given; the record-level
 * ones (RecordTx) are those same statements with one row.
 */
export class IngestTxQueries implements IngestTx {
  constructor(
    private readonly trx: Kysely<Database>,
    private readonly statements: BatchStatements,
    private readonly bind: (rows: readonly object[]) => BatchParameter = jsonParameter,
  ) {}

  /** Runs one batch statement with its rows as its one parameter (the dialect's way); nothing to do for no rows. */
  private async run<R>(statement: Exclude<keyof BatchStatements, 'findCandidates'> | { text: string }, rows: readonly object[]): Promise<R[]> {
    if (rows.length === 0) return [];
    const text = typeof statement === 'string' ? this.statements[statement] : statement.text;
    const parameter = this.bind(rows);
    try {
      return (await this.trx.executeQuery(CompiledQuery.raw(text, [parameter.value]))).rows as R[];
    } finally {
      parameter.release();
    }
  }

  // ---- set-wise (BatchTx) ----

  async findUsersOf(identities: AppIdentity[]): Promise<(AppIdentity & { user: UserRow; install: InstallRow | undefined })[]> {
    const rows = await this.run<Record<string, unknown> & { kind: string; value: string; user_pk: string; app_id: string; created_at: number; last_seen_at: number }>('findUsers', identities);
    return rows.map((r) => ({
      app_id: r.app_id,
      kind: r.kind,
      value: r.value,
      user: {
        user_pk: r.user_pk,
        app_id: r.app_id,
        created_at: Number(r.created_at),
        last_seen_at: Number(r.last_seen_at),
        engagement_id: (r['engagement_id'] as string | null) ?? null,
        engaged_until: r['engaged_until'] == null ? null : Number(r['engaged_until']),
      },
      install: r['install.install_id'] === null ? undefined : (Object.fromEntries(INSTALL_COLUMNS.map((c) => [c, r[`install.${c}`]])) as unknown as InstallRow),
    }));
  }

  installsOf(users: { app_id: string; user_pk: string }[]): Promise<InstallRow[]> {
    return this.run<InstallRow>('getInstalls', users);
  }

  installsById(ids: string[]): Promise<InstallRow[]> {
    return this.run<InstallRow>('getInstallsById', ids.map((install_id) => ({ install_id })));
  }

  candidatesFor(lookups: CandidateLookup[]): Promise<CandidateMatchRow[]> {
    const hows = CANDIDATE_MATCHES.filter((how) => lookups.some((l) => l.how === how));
    return this.run<CandidateMatchRow>({ text: this.statements.findCandidates(hows) }, lookups);
  }

  async ipInstallCounts(lookups: IpCountLookup[]): Promise<Map<number, number>> {
    const rows = await this.run<{ i: number; n: number | string }>('countInstallsFromIps', lookups);
    return new Map(rows.map((r) => [Number(r.i), Number(r.n)]));
  }

  async eventClaimsOf(keys: { app_id: string; dedup_key: string }[]): Promise<{ app_id: string; dedup_key: string; created_at: number }[]> {
    return this.run('findEventClaims', keys);
  }

  touchpointsOf(ids: string[]): Promise<Touchpoint[]> {
    return this.run<Touchpoint>('getTouchpoints', ids.map((touchpoint_id) => ({ touchpoint_id })));
  }

  async insertUsers(rows: UserRow[]): Promise<void> {
    await this.run('insertUsers', rows);
  }

  claimIdentities(rows: (AppIdentity & { user_pk: string })[]): Promise<AppIdentity[]> {
    // In one order on every process, so two batches claiming the same identities wait for each
    // other rather than deadlock.
    const sorted = [...rows].sort((a, b) => compare(a.app_id, b.app_id) || compare(a.kind, b.kind) || compare(a.value, b.value));
    return this.run<AppIdentity>('claimIdentities', sorted);
  }

  async moveIdentityOwners(moves: { app_id: string; from_pk: string; to_pk: string }[]): Promise<void> {
    await this.run('moveIdentities', moves);
  }

  async rejectInstallsOf(rejections: InstallRejection[]): Promise<string[]> {
    const rows = await this.run<{ install_id: string }>('rejectInstalls', rejections);
    return rows.map((r) => r.install_id);
  }

  async insertInstalls(rows: InstallInsert[]): Promise<Set<string>> {
    const stored = await this.run<{ install_id: string }>('insertInstalls', rows);
    return new Set(stored.map((r) => r.install_id));
  }

  async addInstallActivities(rows: (InstallSummary & { install_id: string })[]): Promise<void> {
    await this.run('addInstallActivity', rows);
  }

  async updateLastSeenOf(rows: LastSeen[]): Promise<void> {
    await this.run('updateLastSeen', rows);
  }

  async claimEventKeys(rows: { app_id: string; dedup_key: string; event_pk: string; created_at: number }[]): Promise<Set<string>> {
    const claimed = await this.run<{ app_id: string; dedup_key: string }>('claimEventKeys', rows);
    return new Set(claimed.map((r) => appKey(r.app_id, r.dedup_key)));
  }

  async insertEvents(rows: EventRow[]): Promise<void> {
    await this.run('insertEvents', rows);
  }

  async insertDeliveryRows(rows: DeliveryRow[]): Promise<Set<string>> {
    const stored = await this.run<{ delivery_id: string }>('insertDeliveries', rows);
    return new Set(stored.map((r) => r.delivery_id));
  }

  async claimIdempotencyKeys(claims: { app_id: string; idem_key: string; record_id: string; created_at: number }[]): Promise<Map<string, string>> {
    await this.run('claimIdempotencyKeys', claims);
    const rows = await this.run<{ app_id: string; idem_key: string; record_id: string }>(
      'findIdempotencyKeys',
      claims.map((c) => ({ app_id: c.app_id, idem_key: c.idem_key })),
    );
    return new Map(rows.map((r) => [appKey(r.app_id, r.idem_key), r.record_id]));
  }

  async insertTouchpoints(rows: Touchpoint[]): Promise<Set<string>> {
    const stored = await this.run<{ touchpoint_id: string }>('insertTouchpoints', rows);
    const inserted = new Set(stored.map((r) => r.touchpoint_id));
    await this.countTouchDays(rows, inserted);
    return inserted;
  }

  async insertSkanPostbacks(rows: SkanPostbackRow[]): Promise<Set<string>> {
    const stored = await this.run<{ postback_pk: string }>('insertSkanPostbacks', rows);
    return new Set(stored.map((r) => r.postback_pk));
  }

  /** Adds new touchpoints to the daily counts reports read (touchpoint_days); each id once. */
  private async countTouchDays(rows: Touchpoint[], inserted: Set<string>): Promise<void> {
    const counts = new Map<string, TouchpointDaysTable>();
    const counted = new Set<string>();
    for (const row of rows) {
      if (!inserted.has(row.touchpoint_id) || counted.has(row.touchpoint_id)) continue;
      counted.add(row.touchpoint_id);
      const day = Math.floor(row.created_at / DAY_MS);
      const campaign = row.campaign_id ?? '';
      const network = row.network ?? '';
      const key = JSON.stringify([row.app_id, day, row.kind, campaign, network]);
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { app_id: row.app_id, day, kind: row.kind, campaign_id: campaign, network, count: 1 });
    }
    await this.run('countTouchDays', [...counts.values()]);
  }

  // ---- record-level (RecordTx), over the set-wise statements ----

  networkSpelling(appId: string, network: string): Promise<string> {
    return networkSpelling(this.trx, appId, network);
  }

  async getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined> {
    return (await this.touchpointsOf([touchpointId]))[0];
  }

  async findUser(appId: string, identities: Identity[]): Promise<UserRow | undefined> {
    const owners = await this.findUsersOf(identities.map((id) => ({ app_id: appId, kind: id.kind, value: id.value })));
    return oldestUser(owners.map((o) => o.user));
  }

  insertUser(row: UserRow): Promise<void> {
    return this.insertUsers([row]);
  }

  async addIdentities(appId: string, userPk: string, identities: Identity[]): Promise<number> {
    return (await this.claimIdentities(identities.map((id) => ({ app_id: appId, kind: id.kind, value: id.value, user_pk: userPk })))).length;
  }

  moveIdentities(appId: string, fromUserPk: string, toUserPk: string): Promise<void> {
    return this.moveIdentityOwners([{ app_id: appId, from_pk: fromUserPk, to_pk: toUserPk }]);
  }

  updateLastSeen(userPk: string, time: number): Promise<void> {
    return this.updateLastSeenOf([{ user_pk: userPk, seen_at: time, engagement_id: null, engaged_until: null }]);
  }

  async engageUser(userPk: string, engagementId: string, until: number): Promise<void> {
    await this.trx.updateTable('users').set({ engagement_id: engagementId, engaged_until: until }).where('user_pk', '=', userPk).execute();
  }

  async getInstallById(installId: string): Promise<InstallRow | undefined> {
    return (await this.installsById([installId]))[0];
  }

  async findCandidates(appId: string, query: CandidateQuery): Promise<{ byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] }> {
    const rows = await this.candidatesFor(candidateLookups(0, appId, query));
    return splitCandidates(rows);
  }

  async countInstallsFromIp(appId: string, ip: string, since: number, until: number): Promise<number> {
    return (await this.ipInstallCounts([{ i: 0, app_id: appId, ip, since, until }])).get(0) ?? 0;
  }

  async insertInstall(row: InstallRow, countIp: boolean): Promise<boolean> {
    return (await this.insertInstalls([{ ...row, counted_ip: countIp ? row.ip : null, ...emptySummary() }])).size === 1;
  }

  async getInstall(appId: string, userPk: string): Promise<InstallRow | undefined> {
    return (await this.installsOf([{ app_id: appId, user_pk: userPk }]))[0];
  }

  async insertEvent(row: EventRow): Promise<boolean> {
    if (row.dedup_key !== null) {
      const claimed = await this.claimEventKeys([{ app_id: row.app_id, dedup_key: row.dedup_key, event_pk: row.event_pk, created_at: row.received_at }]);
      if (claimed.size === 0) return false;
    }
    await this.insertEvents([row]);
    return true;
  }

  async insertDeliveries(rows: DeliveryRow[]): Promise<number> {
    return (await this.insertDeliveryRows(rows)).size;
  }

  addInstallActivity(installId: string, a: InstallSummary): Promise<void> {
    return this.addInstallActivities([{ ...a, install_id: installId }]);
  }

  async rejectInstalls(appId: string, userPk: string, touchpointIds: string[], reason: string, value: string | null): Promise<number> {
    const rows = touchpointIds.map((touchpoint_id) => ({ app_id: appId, user_pk: userPk, touchpoint_id, reason, detail: value }));
    return (await this.rejectInstallsOf(rows)).length;
  }
}

/** The lookups a candidate query makes: by each id, each device id, and the IP, numbered `i`. */
export function candidateLookups(i: number, appId: string, query: CandidateQuery): CandidateLookup[] {
  const lookups: CandidateLookup[] = [];
  const since = (lookback: number) => Math.max(query.until - lookback, query.since ?? -Infinity);
  // No window reaches past the device lookback (admin/schemas.ts caps them), so neither does a
  // lookup by id: on PostgreSQL it then reads the months since, not every month stored.
  for (const id of new Set(query.ids)) lookups.push({ i, how: 'id', app_id: appId, value: id, since: since(DEVICE_LOOKBACK_MS), until: query.until });
  for (const kind of DEVICE_ID_KINDS) {
    const value = query.deviceIds[kind];
    if (value !== undefined) lookups.push({ i, how: kind, app_id: appId, value, since: since(DEVICE_LOOKBACK_MS), until: query.until });
  }
  if (query.ip !== undefined) lookups.push({ i, how: 'ip', app_id: appId, value: query.ip, since: since(IP_LOOKBACK_MS), until: query.until });
  return lookups;
}

/** A lookup's rows as attribution reads them: by id, by device id, by IP. */
export function splitCandidates(rows: CandidateMatchRow[]): { byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] } {
  const out = { byId: [] as CandidateRow[], byDevice: [] as CandidateRow[], byIp: [] as CandidateRow[] };
  // In the order the per-lookup queries gave them: lookups in CANDIDATE_MATCHES order, newest first.
  const sorted = [...rows].sort((a, b) => CANDIDATE_MATCHES.indexOf(a.how) - CANDIDATE_MATCHES.indexOf(b.how) || b.created_at - a.created_at || compare(a.touchpoint_id, b.touchpoint_id));
  for (const row of sorted) (row.how === 'id' ? out.byId : row.how === 'ip' ? out.byIp : out.byDevice).push(row);
  return out;
}

/** The oldest of these users (by creation, then id): the one a user's identities name when they disagree. */
export function oldestUser<U extends UserRow>(users: U[]): U | undefined {
  let oldest: U | undefined;
  for (const user of users) {
    if (!oldest || user.created_at < oldest.created_at || (user.created_at === oldest.created_at && user.user_pk < oldest.user_pk)) oldest = user;
  }
  return oldest;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}


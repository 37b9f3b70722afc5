/**
 * One group commit's conversions, resolved against memory instead of one statement at a time.
 *
 * `load` reads, in a few set-wise statements, everything the batch's conversions may ask of the
 * database: the users their identities name, those users' installs, the candidate touchpoints
 * of each conversion that may become an install, the installs per IP the fraud rules count, and
 * the event keys already claimed. conversions.ts then runs each conversion, in arrival order,
 * against this view (it implements RecordTx): reads come from what was loaded plus what earlier
 * conversions of the batch wrote, and writes are kept. `commit` writes them all, again a few
 * statements for the whole batch. The decisions are the ones conversions.ts makes record by
 * record; only where they read and write changes.
 *
 * Another server process may store a user, an install or an event key between `load` and
 * `commit` (PostgreSQL, several processes). The inserts then come back short, and `commit`
 * throws ConcurrentWriteError: the transaction is run again, and sees that process's rows.
 */
import type { Identity } from '../domain/devices.js';
import type { DeliveryRow, EventRow, InstallRow, Touchpoint, UserRow } from '../domain/entities.js';
import { IDEMPOTENCY_KEY_PREFIX, idempotencyCutoff } from '../domain/idempotency.js';
import { addSummary, emptySummary, SUMMARY_COLUMN_NAMES, type InstallSummary } from '../domain/install-summary.js';
import { appKey, candidateLookups, oldestUser, splitCandidates } from '../storage/ingest-tx.js';
import { INSTALL_COLUMNS } from '../storage/schema.js';
import {
  ConcurrentWriteError,
  type AppIdentity,
  type CandidateLookup,
  type CandidateMatchRow,
  type CandidateQuery,
  type CandidateRow,
  type InstallInsert,
  type InstallRejection,
  type IngestTx,
  type IpCountLookup,
  type RecordTx,
} from '../storage/store.js';
import { candidateQuery, conversionIdentities, engagementQuery, fraudRules, ipFloodWindow, isReinstall } from './conversions.js';
import type { ConversionRecord } from './records.js';

/** A conversion of the batch: its place among the batch's ops, and the record. */
export interface BatchConversion {
  op: number;
  record: ConversionRecord;
}

const identityKey = (appId: string, kind: string, value: string): string => `${appId}\u0000${kind}\u0000${value}`;

export class BatchView implements RecordTx {
  // What the database held when the batch began, plus what the batch has written since.
  private readonly identityOwner = new Map<string, string>();
  private readonly users = new Map<string, UserRow>();
  /** Each known user's first install (kind `install`), undefined for none. */
  private readonly installs = new Map<string, InstallRow | undefined>();
  private readonly candidates = new Map<number, CandidateMatchRow[]>();
  private readonly ipCounts = new Map<number, number>();
  private readonly storedEventKeys = new Map<string, number>();
  private readonly touchpoints = new Map<string, Touchpoint>();
  private readonly spellings = new Map<string, string>();
  /** The running engagements of known users (installs rows of an engagement kind), by id. */
  private readonly engagements = new Map<string, InstallRow>();

  // What the batch writes, in the order it was decided.
  private readonly newUsers: UserRow[] = [];
  private readonly newUserPks = new Set<string>();
  private readonly claims: (AppIdentity & { user_pk: string })[] = [];
  private readonly newInstalls: InstallRow[] = [];
  private readonly countedIp = new Map<string, string | null>();
  private readonly rejections = new Map<string, InstallRejection>();
  private readonly activity = new Map<string, InstallSummary & { install_id: string }>();
  private readonly lastSeen = new Map<string, number>();
  private readonly engaged = new Map<string, { engagement_id: string; engaged_until: number }>();
  private readonly eventClaims = new Map<string, { app_id: string; dedup_key: string; event_pk: string; created_at: number }>();
  private readonly events: EventRow[] = [];
  private readonly deliveries: { row: DeliveryRow; conversion: number }[] = [];

  /** The conversion being run: its number in the batch and its op's place. */
  private current = { conversion: -1, op: -1 };

  private constructor(
    private readonly tx: IngestTx,
    /** Touchpoints this batch stored, by the op that stored them: later ops' are not yet there. */
    private readonly touchpointOps: ReadonlyMap<string, number>,
  ) {}

  /**
   * Reads what the batch's conversions may need. `postbackApps`: the apps with active postbacks,
   * whose installs' touchpoints the postbacks name.
   */
  static async load(tx: IngestTx, conversions: readonly BatchConversion[], touchpointOps: ReadonlyMap<string, number>, postbackApps: ReadonlySet<string>): Promise<BatchView> {
    const view = new BatchView(tx, touchpointOps);
    const identities = new Map<string, AppIdentity>();
    const named = conversions.map(({ record }) => conversionIdentities(record));
    for (const [n, { record }] of conversions.entries()) {
      for (const id of named[n]!) identities.set(identityKey(record.app.app_id, id.kind, id.value), { app_id: record.app.app_id, kind: id.kind, value: id.value });
    }
    for (const owner of await tx.findUsersOf([...identities.values()])) {
      const user = view.users.get(owner.user.user_pk) ?? owner.user;
      view.users.set(user.user_pk, user);
      if (!view.installs.has(user.user_pk)) view.installs.set(user.user_pk, owner.install);
      view.identityOwner.set(identityKey(owner.app_id, owner.kind, owner.value), user.user_pk);
    }

    // Candidates for every conversion that may store an install: of a user not yet known, or
    // of one back after the app's absence limit; and for a known user's sighting that may be a
    // re-engagement or reattribution, the clicks since it was last seen. A user the batch itself
    // creates and that comes back within the batch after that limit is rare; its lookup runs
    // when asked (`findCandidates`).
    const lookups: CandidateLookup[] = [];
    const counts: IpCountLookup[] = [];
    const running = new Set<string>();
    for (const [n, { record }] of conversions.entries()) {
      if (named[n]!.length === 0) continue;
      const user = view.userNamed(record.app.app_id, named[n]!);
      if (user?.engagement_id && (user.engaged_until ?? 0) > record.time) running.add(user.engagement_id);
      if (record.senderAttribution) continue;
      if (user && !isReinstall(record, user)) {
        const query = engagementQuery(record, user);
        if (query) {
          view.candidates.set(n, []);
          lookups.push(...candidateLookups(n, record.app.app_id, query));
        }
        continue;
      }
      view.candidates.set(n, []);
      lookups.push(...candidateLookups(n, record.app.app_id, candidateQuery(record)));
      if (fraudRules(record.app).maxInstallsPerIp !== null && record.ip !== undefined) {
        counts.push({ i: n, app_id: record.app.app_id, ip: record.ip, ...ipFloodWindow(record) });
      }
    }
    for (const row of await tx.candidatesFor(lookups)) view.candidates.get(row.i)!.push(row);
    for (const [n, count] of await tx.ipInstallCounts(counts)) view.ipCounts.set(n, count);

    const keys = conversions.flatMap(({ record }) => (record.event?.dedupKey === undefined ? [] : [{ app_id: record.app.app_id, dedup_key: record.event.dedupKey }]));
    for (const claim of await tx.eventClaimsOf(keys)) view.storedEventKeys.set(appKey(claim.app_id, claim.dedup_key), Number(claim.created_at));

    // The touchpoints a postback may name, whole: those known installs are credited to, and the
    // candidates of conversions whose app has postbacks (one of them may win).
    const wanted = new Set<string>();
    for (const engagement of await tx.installsById([...running])) view.engagements.set(engagement.install_id, engagement);
    for (const install of [...view.installs.values(), ...view.engagements.values()]) if (install?.touchpoint_id && postbackApps.has(install.app_id)) wanted.add(install.touchpoint_id);
    for (const [n, rows] of view.candidates) {
      if (postbackApps.has(conversions[n]!.record.app.app_id)) for (const row of rows) wanted.add(row.touchpoint_id);
    }
    for (const touch of await tx.touchpointsOf([...wanted])) view.touchpoints.set(touch.touchpoint_id, touch);
    return view;
  }

  /** The next conversion to run: its number in the batch and its op's place. */
  focus(conversion: number, op: number): void {
    this.current = { conversion, op };
  }

  /**
   * Writes what the batch decided. Returns how many postback deliveries each conversion (by its
   * number) added; throws ConcurrentWriteError when another process stored some of it first.
   */
  async commit(): Promise<Map<number, number>> {
    const tx = this.tx;
    await tx.insertUsers(this.newUsers);
    if ((await tx.claimIdentities(this.claims)).length < this.claims.length) throw new ConcurrentWriteError('a user identity');
    // Before the inserts: it is meant for installs stored before this batch (the batch's own
    // installs carry their rejection already).
    await tx.rejectInstallsOf([...this.rejections.values()]);
    // A new install goes in with its summary so far; installs stored before get theirs added.
    const installs = this.newInstalls.map((row): InstallInsert => {
      const a = this.activity.get(row.install_id);
      if (a) this.activity.delete(row.install_id);
      return Object.assign(pick(row, INSTALL_COLUMNS), pick(a ?? emptySummary(), SUMMARY_COLUMN_NAMES), {
        counted_ip: this.countedIp.get(row.install_id) ?? null,
      });
    });
    const stored = await tx.insertInstalls(installs);
    if (installs.some((row) => row.kind === 'install' && !stored.has(row.install_id))) throw new ConcurrentWriteError('an install');
    await tx.addInstallActivities([...this.activity.values()]);
    await tx.updateLastSeenOf([...this.lastSeen].map(([user_pk, seen_at]) => ({ user_pk, seen_at, engagement_id: null, engaged_until: null, ...this.engaged.get(user_pk) })));
    const claims = [...this.eventClaims.values()];
    if ((await tx.claimEventKeys(claims)).size < claims.length) throw new ConcurrentWriteError('an event key');
    await tx.insertEvents(this.events);
    const delivered = await tx.insertDeliveryRows(this.deliveries.map((d) => d.row));
    const queued = new Map<number, number>();
    for (const { row, conversion } of this.deliveries) {
      if (delivered.has(row.delivery_id)) queued.set(conversion, (queued.get(conversion) ?? 0) + 1);
    }
    return queued;
  }

  // ---- RecordTx, in memory ----

  async networkSpelling(appId: string, network: string): Promise<string> {
    const key = appKey(appId, network);
    let spelling = this.spellings.get(key);
    if (spelling === undefined) {
      spelling = await this.tx.networkSpelling(appId, network);
      this.spellings.set(key, spelling);
    }
    return spelling;
  }

  async getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined> {
    return this.touchpoints.get(touchpointId) ?? (await this.tx.getTouchpoint(touchpointId));
  }

  async findUser(appId: string, identities: Identity[]): Promise<UserRow | undefined> {
    return this.userNamed(appId, identities);
  }

  async insertUser(row: UserRow): Promise<void> {
    this.users.set(row.user_pk, row);
    this.installs.set(row.user_pk, undefined);
    this.newUsers.push(row);
    this.newUserPks.add(row.user_pk);
  }

  async addIdentities(appId: string, userPk: string, identities: Identity[]): Promise<number> {
    let claimed = 0;
    for (const id of identities) {
      const key = identityKey(appId, id.kind, id.value);
      if (this.identityOwner.has(key)) continue;
      this.identityOwner.set(key, userPk);
      this.claims.push({ app_id: appId, kind: id.kind, value: id.value, user_pk: userPk });
      claimed++;
    }
    return claimed;
  }

  async moveIdentities(appId: string, fromUserPk: string, toUserPk: string): Promise<void> {
    for (const claim of this.claims) if (claim.app_id === appId && claim.user_pk === fromUserPk) claim.user_pk = toUserPk;
    for (const [key, owner] of this.identityOwner) if (owner === fromUserPk && key.startsWith(`${appId}\u0000`)) this.identityOwner.set(key, toUserPk);
  }

  async updateLastSeen(userPk: string, time: number): Promise<void> {
    const user = this.users.get(userPk);
    if (!user || user.last_seen_at >= time) return;
    user.last_seen_at = time;
    // A user this batch creates is inserted with it; one stored before is updated.
    if (!this.newUserPks.has(userPk)) this.lastSeen.set(userPk, time);
  }

  async engageUser(userPk: string, engagementId: string, until: number): Promise<void> {
    const user = this.users.get(userPk);
    if (!user) return;
    user.engagement_id = engagementId;
    user.engaged_until = until;
    // A user this batch creates is inserted with it; one stored before is updated with its last sighting.
    if (!this.newUserPks.has(userPk)) this.engaged.set(userPk, { engagement_id: engagementId, engaged_until: until });
  }

  async getInstallById(installId: string): Promise<InstallRow | undefined> {
    return this.engagements.get(installId) ?? this.newInstalls.find((row) => row.install_id === installId) ?? (await this.tx.getInstallById(installId));
  }

  async findCandidates(appId: string, query: CandidateQuery): Promise<{ byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] }> {
    let rows = this.candidates.get(this.current.conversion);
    if (!rows) {
      rows = await this.tx.candidatesFor(candidateLookups(this.current.conversion, appId, query));
    }
    // Touchpoints this batch stores for a later request are not there yet for this one.
    const op = this.current.op;
    return splitCandidates(rows.filter((row) => (this.touchpointOps.get(row.touchpoint_id) ?? -1) < op));
  }

  async countInstallsFromIp(appId: string, ip: string, since: number, until: number): Promise<number> {
    const stored = this.ipCounts.get(this.current.conversion) ?? (await this.tx.countInstallsFromIp(appId, ip, since, until));
    let added = 0;
    for (const row of this.newInstalls) {
      if (row.app_id === appId && this.countedIp.get(row.install_id) === ip && row.installed_at >= since && row.installed_at < until) added++;
    }
    return stored + added;
  }

  async insertInstall(row: InstallRow, countIp: boolean): Promise<boolean> {
    if (row.kind === 'install') {
      if (this.installs.get(row.user_pk)) return false;
      this.installs.set(row.user_pk, row);
    }
    this.newInstalls.push(row);
    this.countedIp.set(row.install_id, countIp ? row.ip : null);
    return true;
  }

  async getInstall(_appId: string, userPk: string): Promise<InstallRow | undefined> {
    return this.installs.get(userPk);
  }

  async insertEvent(row: EventRow): Promise<boolean> {
    if (row.dedup_key !== null) {
      const key = appKey(row.app_id, row.dedup_key);
      if (this.eventClaims.has(key)) return false;
      const claimedAt = this.storedEventKeys.get(key);
      // An Idempotency-Key (`key:`) claimed before the window is a new request; the sender's own
      // ids (`uid:`, `import:`) stand for one event for good.
      const expired = claimedAt !== undefined && row.dedup_key.startsWith(IDEMPOTENCY_KEY_PREFIX) && claimedAt < idempotencyCutoff(row.received_at);
      if (claimedAt !== undefined && !expired) return false;
      this.eventClaims.set(key, { app_id: row.app_id, dedup_key: row.dedup_key, event_pk: row.event_pk, created_at: row.received_at });
    }
    this.events.push(row);
    return true;
  }

  async insertDeliveries(rows: DeliveryRow[]): Promise<number> {
    for (const row of rows) this.deliveries.push({ row, conversion: this.current.conversion });
    return rows.length;
  }

  async addInstallActivity(installId: string, a: InstallSummary): Promise<void> {
    const sum = this.activity.get(installId);
    if (sum) addSummary(sum, a);
    else this.activity.set(installId, { ...a, install_id: installId });
  }

  async rejectInstalls(appId: string, userPk: string, touchpointIds: string[], reason: string, value: string | null): Promise<number> {
    const ids = new Set(touchpointIds);
    let rejected = 0;
    const reject = (row: InstallRow): void => {
      row.status = 'rejected';
      row.rejected_reason = reason;
      row.rejected_value = value;
      rejected++;
    };
    for (const row of this.newInstalls) if (row.app_id === appId && row.user_pk === userPk && row.touchpoint_id !== null && ids.has(row.touchpoint_id)) reject(row);
    // The first install stored before this batch, as later reads see it; the statement in
    // `commit` rejects it (and any earlier reinstall) in the database.
    const first = this.installs.get(userPk);
    if (first && !this.newInstalls.includes(first) && first.touchpoint_id !== null && ids.has(first.touchpoint_id)) reject(first);
    // Its running engagement stored before this batch, likewise: later sightings credit it no more.
    for (const row of this.engagements.values()) if (row.user_pk === userPk && row.touchpoint_id !== null && ids.has(row.touchpoint_id)) reject(row);
    for (const touchpoint_id of ids) {
      this.rejections.set(JSON.stringify([appId, userPk, touchpoint_id]), { app_id: appId, user_pk: userPk, touchpoint_id, reason, detail: value });
    }
    return rejected;
  }

  /** The oldest user any of these identities names, as the database would answer now. */
  private userNamed(appId: string, identities: Identity[]): UserRow | undefined {
    const users: UserRow[] = [];
    for (const id of identities) {
      const owner = this.identityOwner.get(identityKey(appId, id.kind, id.value));
      const user = owner === undefined ? undefined : this.users.get(owner);
      if (user) users.push(user);
    }
    return oldestUser(users);
  }
}

/** The named fields of a row, as a new object of the same shape every time. */
function pick<T extends object, K extends keyof T>(row: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = row[key];
  return out;
}

import { sql, type RawBuilder, type Transaction } from 'kysely';
import { DEVICE_ID_KINDS, type Identity } from '../domain/devices.js';
import type { DeliveryRow, EventRow, InstallRow, Touchpoint, UserRow } from '../domain/entities.js';
import { IDEMPOTENCY_KEY_PREFIX, idempotencyCutoff } from '../domain/idempotency.js';
import { DAY_MS } from '../domain/metrics.js';
import { networkSpelling } from './networks.js';
import type { QueryTemplates } from './query-templates.js';
import { EVENT_COLUMNS, INSTALL_COLUMNS, type Database, type TouchpointDaysTable } from './schema.js';
import {
  CANDIDATE_COLUMNS,
  DEVICE_LOOKBACK_MS,
  IP_LOOKBACK_MS,
  type CandidateQuery,
  type CandidateRow,
  type InstallActivity,
  type IngestTx,
} from './store.js';

// SQLite allows 32766 bound values per statement and PostgreSQL 65535; 22 columns x 400 rows
// stays under both.
const INSERT_CHUNK_ROWS = 400;
/** Candidates per lookup: the newest few are all last-touch attribution can pick from. */
const CANDIDATE_LIMIT = 50;

/** The ingest transaction's queries (IngestTx), shared by both dialects. */
export class IngestTxQueries implements IngestTx {
  constructor(
    private readonly trx: Transaction<Database>,
    private readonly templates: QueryTemplates,
    /** Whether hot-path LIMITs go into the SQL text instead of being bound (see `limit`). */
    private readonly inlineLimits: boolean,
  ) {}

  /**
   * SQLite runs `ORDER BY … LIMIT ?` three to seven times slower than the same query with
   * `LIMIT 50` written out (the identity and candidate lookups: 19–37 µs against 5–7 µs), as it
   * cannot plan for a limit it does not know. PostgreSQL went the other way: with the limits
   * written out, POST /api/v2/open fell from 1.48k to 1.07k req/s, so there they stay bound.
   */
  private limit(n: number): number | RawBuilder<number> {
    return this.inlineLimits ? sql.lit(n) : n;
  }

  networkSpelling(appId: string, network: string): Promise<string> {
    return networkSpelling(this.trx, appId, network);
  }

  async insertTouchpoints(rows: Touchpoint[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
      const stored = await this.trx
        .insertInto('touchpoints')
        .values(rows.slice(i, i + INSERT_CHUNK_ROWS))
        // (id, time) is the key a month-partitioned table can hold (migration 0008).
        .onConflict((oc) => oc.columns(['touchpoint_id', 'created_at']).doNothing())
        .returning('touchpoint_id')
        .execute();
      for (const row of stored) inserted.add(row.touchpoint_id);
    }
    await this.countTouchDays(rows.filter((row) => inserted.has(row.touchpoint_id)));
    return inserted;
  }

  /** Adds new touchpoints to the daily counts reports read (touchpoint_days). */
  private async countTouchDays(rows: Touchpoint[]): Promise<void> {
    const counts = new Map<string, TouchpointDaysTable>();
    for (const row of rows) {
      const day = Math.floor(row.created_at / DAY_MS);
      const campaign = row.campaign_id ?? '';
      const network = row.network ?? '';
      const key = JSON.stringify([row.app_id, day, row.kind, campaign, network]);
      const entry = counts.get(key);
      if (entry) entry.count += 1;
      else counts.set(key, { app_id: row.app_id, day, kind: row.kind, campaign_id: campaign, network, count: 1 });
    }
    const values = [...counts.values()];
    for (let i = 0; i < values.length; i += INSERT_CHUNK_ROWS) {
      await this.trx
        .insertInto('touchpoint_days')
        .values(values.slice(i, i + INSERT_CHUNK_ROWS))
        .onConflict((oc) =>
          oc.columns(['app_id', 'day', 'kind', 'campaign_id', 'network']).doUpdateSet((eb) => ({ count: eb('touchpoint_days.count', '+', eb.ref('excluded.count')) })),
        )
        .execute();
    }
  }

  getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined> {
    return this.trx.selectFrom('touchpoints').selectAll().where('touchpoint_id', '=', touchpointId).executeTakeFirst();
  }

  async findUser(appId: string, identities: Identity[]): Promise<UserRow | undefined> {
    if (identities.length === 0) return undefined;
    const values = [appId, ...identities.flatMap((id) => [id.kind, id.value])];
    const rows = await this.templates.rows(this.trx, `findUser:${identities.length}`, values, ([app, ...pairs]) =>
      this.trx
        .selectFrom('user_identities')
        .innerJoin('users', 'users.user_pk', 'user_identities.user_pk')
        .selectAll('users')
        .where('user_identities.app_id', '=', app!)
        .where((eb) => eb.or(identities.map((_, i) => eb.and([eb('user_identities.kind', '=', pairs[2 * i]!), eb('user_identities.value', '=', pairs[2 * i + 1]!)]))))
        .orderBy('users.created_at')
        .orderBy('users.user_pk')
        .limit(this.limit(1)),
    );
    return rows[0];
  }

  async insertUser(row: UserRow): Promise<void> {
    await this.templates.rows(this.trx, 'insertUser', [row.user_pk, row.app_id, row.created_at, row.last_seen_at], ([user_pk, app_id, created_at, last_seen_at]) =>
      this.trx.insertInto('users').values({ user_pk: user_pk!, app_id: app_id!, created_at: created_at!, last_seen_at: last_seen_at! }),
    );
  }

  async addIdentities(appId: string, userPk: string, identities: Identity[]): Promise<number> {
    if (identities.length === 0) return 0;
    const values = [appId, userPk, ...identities.flatMap((id) => [id.kind, id.value])];
    const claimed = await this.templates.rows(this.trx, `addIdentities:${identities.length}`, values, ([app, user, ...pairs]) =>
      this.trx
        .insertInto('user_identities')
        .values(identities.map((_, i) => ({ app_id: app!, kind: pairs[2 * i]!, value: pairs[2 * i + 1]!, user_pk: user! })))
        .onConflict((oc) => oc.columns(['app_id', 'kind', 'value']).doNothing())
        .returning('kind'),
    );
    return claimed.length;
  }

  async moveIdentities(appId: string, fromUserPk: string, toUserPk: string): Promise<void> {
    await this.trx.updateTable('user_identities').set({ user_pk: toUserPk }).where('app_id', '=', appId).where('user_pk', '=', fromUserPk).execute();
  }

  async updateLastSeen(userPk: string, time: number): Promise<void> {
    await this.templates.rows(this.trx, 'updateLastSeen', [time, userPk, time], ([t, user, t2]) =>
      this.trx.updateTable('users').set({ last_seen_at: t! }).where('user_pk', '=', user!).where('last_seen_at', '<', t2!),
    );
  }

  async findCandidates(appId: string, query: CandidateQuery): Promise<{ byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] }> {
    const base = (app: string, until: number) =>
      this.trx
        .selectFrom('touchpoints')
        .leftJoin('campaigns', 'campaigns.campaign_id', 'touchpoints.campaign_id')
        .select(CANDIDATE_COLUMNS.map((c) => `touchpoints.${c}` as const))
        .select([
          'campaigns.click_window_s as campaign_click_window_s',
          'campaigns.view_window_s as campaign_view_window_s',
          'campaigns.probabilistic_window_s as campaign_probabilistic_window_s',
        ])
        .where('touchpoints.app_id', '=', app)
        .where('touchpoints.created_at', '<=', until);

    const byId =
      query.ids.length === 0
        ? []
        : await this.templates.rows(this.trx, `candidatesById:${query.ids.length}`, [appId, query.until, ...query.ids], ([app, until, ...ids]) =>
            base(app!, until!).where('touchpoints.touchpoint_id', 'in', ids),
          );

    // One indexed range scan per device id kind: (app_id, idfa, created_at) and so on.
    const byDevice: CandidateRow[] = [];
    for (const kind of DEVICE_ID_KINDS) {
      const value = query.deviceIds[kind];
      if (value === undefined) continue;
      const rows = await this.templates.rows(this.trx, `candidatesBy:${kind}`, [appId, query.until, value, query.until - DEVICE_LOOKBACK_MS], ([app, until, v, since]) =>
        base(app!, until!).where(`touchpoints.${kind}`, '=', v!).where('touchpoints.created_at', '>=', since!).orderBy('touchpoints.created_at', 'desc').limit(this.limit(CANDIDATE_LIMIT)),
      );
      byDevice.push(...rows);
    }

    const byIp =
      query.ip === undefined
        ? []
        : await this.templates.rows(this.trx, 'candidatesByIp', [appId, query.until, query.ip, query.until - IP_LOOKBACK_MS], ([app, until, ip, since]) =>
            base(app!, until!).where('touchpoints.ip', '=', ip!).where('touchpoints.created_at', '>=', since!).orderBy('touchpoints.created_at', 'desc').limit(this.limit(CANDIDATE_LIMIT)),
          );
    return { byId, byDevice, byIp };
  }

  async countInstallsFromIp(appId: string, ip: string, since: number, until: number): Promise<number> {
    const row = await this.trx
      .selectFrom('installs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', appId)
      .where('counted_ip', '=', ip)
      .where('installed_at', '>=', since)
      .where('installed_at', '<', until)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertInstall(row: InstallRow, countIp: boolean): Promise<boolean> {
    const values = [...INSTALL_COLUMNS.map((c) => row[c]), countIp ? row.ip : null];
    const stored = await this.templates.rows(this.trx, 'insertInstall', values, (bound) =>
      this.trx
        .insertInto('installs')
        .values({ ...(Object.fromEntries(INSTALL_COLUMNS.map((c, i) => [c, bound[i]])) as unknown as InstallRow), counted_ip: bound[INSTALL_COLUMNS.length] as unknown as string | null })
        // The conflict target repeats the partial index's predicate as a literal: SQLite only
        // matches a partial unique index when it can see the two are the same.
        .onConflict((oc) => oc.columns(['app_id', 'user_pk']).where('kind', '=', sql.lit('install')).doNothing())
        .returning('install_id'),
    );
    return stored.length === 1;
  }

  async getInstall(appId: string, userPk: string): Promise<InstallRow | undefined> {
    const rows = await this.templates.rows(this.trx, 'getInstall', [appId, userPk], ([app, user]) =>
      this.trx.selectFrom('installs').select(INSTALL_COLUMNS).where('app_id', '=', app!).where('user_pk', '=', user!).where('kind', '=', sql.lit('install')),
    );
    return rows[0] as InstallRow | undefined;
  }

  async insertEvent(row: EventRow): Promise<boolean> {
    if (row.dedup_key !== null) {
      // The key is claimed first, in its own table: events are partitioned by month on
      // PostgreSQL, and a retry may arrive in another month than the first sighting.
      // An Idempotency-Key (`key:`) claimed before the window is a new request: its claim is
      // taken over. The sender's own ids (`uid:`, `import:`) stand for one event for good.
      const values = [row.app_id, row.dedup_key, row.event_pk, row.received_at, idempotencyCutoff(row.received_at)];
      const claimed = await this.templates.rows(this.trx, 'claimEventDedup', values, ([app_id, dedup_key, event_pk, created_at, since]) =>
        this.trx
          .insertInto('event_dedup')
          .values({ app_id: app_id!, dedup_key: dedup_key!, event_pk: event_pk!, created_at: created_at! })
          .onConflict((oc) =>
            oc
              .columns(['app_id', 'dedup_key'])
              .doUpdateSet({ event_pk: (eb) => eb.ref('excluded.event_pk'), created_at: (eb) => eb.ref('excluded.created_at') })
              .where('event_dedup.created_at', '<', since!)
              .where('event_dedup.dedup_key', 'like', `${IDEMPOTENCY_KEY_PREFIX}%`),
          )
          .returning('event_pk'),
      );
      if (claimed.length === 0) return false;
    }
    await this.templates.rows(this.trx, 'insertEvent', EVENT_COLUMNS.map((c) => row[c]), (values) =>
      this.trx.insertInto('events').values(Object.fromEntries(EVENT_COLUMNS.map((c, i) => [c, values[i]])) as unknown as EventRow),
    );
    return true;
  }

  async claimIdempotencyKey(appId: string, key: string, recordId: string, now: number, since: number): Promise<string> {
    await this.trx
      .insertInto('idempotency_keys')
      .values({ app_id: appId, idem_key: key, record_id: recordId, created_at: now })
      // An expired claim is taken over: the key now stands for this record.
      .onConflict((oc) =>
        oc
          .columns(['app_id', 'idem_key'])
          .doUpdateSet({ record_id: recordId, created_at: now })
          .where('idempotency_keys.created_at', '<', since),
      )
      .execute();
    const row = await this.trx
      .selectFrom('idempotency_keys')
      .select('record_id')
      .where('app_id', '=', appId)
      .where('idem_key', '=', key)
      .executeTakeFirstOrThrow();
    return row.record_id;
  }

  async insertDeliveries(rows: DeliveryRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const stored = await this.trx
      .insertInto('deliveries')
      .values(rows)
      .onConflict((oc) => oc.columns(['postback_id', 'dedup_key']).doNothing())
      .returning('delivery_id')
      .execute();
    return stored.length;
  }

  async addInstallActivity(installId: string, a: InstallActivity): Promise<void> {
    const values = [a.opens, a.purchases, a.unpriced_purchases, a.revenue_usd, a.active_bit, installId];
    await this.templates.rows(this.trx, 'addInstallActivity', values, ([opens, purchases, unpriced, revenue, bit, id]) =>
      this.trx
        .updateTable('installs')
        .set((eb) => ({
          opens: eb('opens', '+', opens!),
          purchases: eb('purchases', '+', purchases!),
          unpriced_purchases: eb('unpriced_purchases', '+', unpriced!),
          revenue_usd: eb('revenue_usd', '+', revenue!),
          active_days: sql<number>`active_days | ${bit!}`,
        }))
        .where('install_id', '=', id!),
    );
  }

  async rejectInstalls(appId: string, userPk: string, touchpointIds: string[], reason: string, value: string | null): Promise<number> {
    if (touchpointIds.length === 0) return 0;
    const result = await this.trx
      .updateTable('installs')
      .set({ status: 'rejected', rejected_reason: reason, rejected_value: value })
      .where('app_id', '=', appId)
      .where('user_pk', '=', userPk)
      .where('touchpoint_id', 'in', touchpointIds)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

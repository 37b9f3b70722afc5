import { sql, type Transaction } from 'kysely';
import { DEVICE_ID_KINDS, type Identity } from '../domain/devices.js';
import { INSTALL_COLUMNS, type Database, type TouchpointDaysTable } from './schema.js';
import { DAY_MS } from '../domain/metrics.js';
import {
  DEVICE_LOOKBACK_MS,
  IP_LOOKBACK_MS,
  type CandidateQuery,
  type CandidateRow,
  type DeliveryRow,
  type EventRow,
  type InstallActivity,
  type InstallRow,
  type StoreTx,
  type Touchpoint,
  type UserRow,
} from './store.js';

// SQLite allows 32766 bound values per statement and PostgreSQL 65535; 22 columns x 400 rows
// stays under both.
const INSERT_CHUNK_ROWS = 400;
/** Candidates per lookup: the newest few are all last-touch attribution can pick from. */
const CANDIDATE_LIMIT = 50;

/** The StoreTx queries, shared by both dialects. */
export class KyselyStoreTx implements StoreTx {
  constructor(private readonly trx: Transaction<Database>) {}

  async insertTouchpoints(rows: Touchpoint[]): Promise<Set<string>> {
    const inserted = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_CHUNK_ROWS) {
      const stored = await this.trx
        .insertInto('touchpoints')
        .values(rows.slice(i, i + INSERT_CHUNK_ROWS))
        .onConflict((oc) => oc.column('touchpoint_id').doNothing())
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
    return this.trx
      .selectFrom('user_identities')
      .innerJoin('users', 'users.user_pk', 'user_identities.user_pk')
      .selectAll('users')
      .where('user_identities.app_id', '=', appId)
      .where((eb) => eb.or(identities.map((id) => eb.and([eb('user_identities.kind', '=', id.kind), eb('user_identities.value', '=', id.value)]))))
      .orderBy('users.created_at')
      .orderBy('users.user_pk')
      .limit(1)
      .executeTakeFirst();
  }

  async insertUser(row: UserRow): Promise<void> {
    await this.trx.insertInto('users').values(row).execute();
  }

  async addIdentities(appId: string, userPk: string, identities: Identity[]): Promise<number> {
    if (identities.length === 0) return 0;
    const claimed = await this.trx
      .insertInto('user_identities')
      .values(identities.map((id) => ({ app_id: appId, kind: id.kind, value: id.value, user_pk: userPk })))
      .onConflict((oc) => oc.columns(['app_id', 'kind', 'value']).doNothing())
      .returning('kind')
      .execute();
    return claimed.length;
  }

  async moveIdentities(appId: string, fromUserPk: string, toUserPk: string): Promise<void> {
    await this.trx.updateTable('user_identities').set({ user_pk: toUserPk }).where('app_id', '=', appId).where('user_pk', '=', fromUserPk).execute();
  }

  async updateLastSeen(userPk: string, time: number): Promise<void> {
    await this.trx.updateTable('users').set({ last_seen_at: time }).where('user_pk', '=', userPk).where('last_seen_at', '<', time).execute();
  }

  async findCandidates(appId: string, query: CandidateQuery): Promise<{ byId: CandidateRow[]; byDevice: CandidateRow[]; byIp: CandidateRow[] }> {
    const base = () =>
      this.trx
        .selectFrom('touchpoints')
        .leftJoin('campaigns', 'campaigns.campaign_id', 'touchpoints.campaign_id')
        .selectAll('touchpoints')
        .select([
          'campaigns.click_window_s as campaign_click_window_s',
          'campaigns.view_window_s as campaign_view_window_s',
          'campaigns.probabilistic_window_s as campaign_probabilistic_window_s',
        ])
        .where('touchpoints.app_id', '=', appId)
        .where('touchpoints.created_at', '<=', query.until);

    const byId = query.ids.length === 0 ? [] : await base().where('touchpoints.touchpoint_id', 'in', query.ids).execute();

    // One indexed range scan per device id kind: (app_id, idfa, created_at) and so on.
    const byDevice: CandidateRow[] = [];
    for (const kind of DEVICE_ID_KINDS) {
      const value = query.deviceIds[kind];
      if (value === undefined) continue;
      const rows = await base()
        .where(`touchpoints.${kind}`, '=', value)
        .where('touchpoints.created_at', '>=', query.until - DEVICE_LOOKBACK_MS)
        .orderBy('touchpoints.created_at', 'desc')
        .limit(CANDIDATE_LIMIT)
        .execute();
      byDevice.push(...rows);
    }

    const byIp =
      query.ip === undefined
        ? []
        : await base()
            .where('touchpoints.ip', '=', query.ip)
            .where('touchpoints.created_at', '>=', query.until - IP_LOOKBACK_MS)
            .orderBy('touchpoints.created_at', 'desc')
            .limit(CANDIDATE_LIMIT)
            .execute();
    return { byId, byDevice, byIp };
  }

  async countInstallsFromIp(appId: string, ip: string, since: number, until: number): Promise<number> {
    const row = await this.trx
      .selectFrom('installs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', appId)
      .where('ip', '=', ip)
      .where('installed_at', '>=', since)
      .where('installed_at', '<', until)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertInstall(row: InstallRow): Promise<boolean> {
    const stored = await this.trx
      .insertInto('installs')
      .values(row)
            // The conflict target repeats the partial index's predicate as a literal: SQLite only
      // matches a partial unique index when it can see the two are the same.
      .onConflict((oc) => oc.columns(['app_id', 'user_pk']).where('kind', '=', sql.lit('install')).doNothing())
      .returning('install_id')
      .execute();
    return stored.length === 1;
  }

  getInstall(appId: string, userPk: string): Promise<InstallRow | undefined> {
    return this.trx
      .selectFrom('installs')
      .select(INSTALL_COLUMNS)
      .where('app_id', '=', appId)
      .where('user_pk', '=', userPk)
      .where('kind', '=', 'install')
      .executeTakeFirst();
  }

  async insertEvent(row: EventRow): Promise<boolean> {
    const stored = await this.trx
      .insertInto('events')
      .values(row)
      .onConflict((oc) => oc.columns(['app_id', 'dedup_key']).where('dedup_key', 'is not', null).doNothing())
      .returning('event_pk')
      .execute();
    return stored.length === 1;
  }

  async claimIdempotencyKey(appId: string, key: string, recordId: string, now: number): Promise<string> {
    await this.trx
      .insertInto('idempotency_keys')
      .values({ app_id: appId, idem_key: key, record_id: recordId, created_at: now })
      .onConflict((oc) => oc.columns(['app_id', 'idem_key']).doNothing())
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
    await this.trx
      .updateTable('installs')
      .set((eb) => ({
        opens: eb('opens', '+', a.opens),
        purchases: eb('purchases', '+', a.purchases),
        unpriced_purchases: eb('unpriced_purchases', '+', a.unpriced_purchases),
        revenue_usd: eb('revenue_usd', '+', a.revenue_usd),
        active_days: sql<number>`active_days | ${a.active_bit}`,
      }))
      .where('install_id', '=', installId)
      .execute();
  }

  async rejectInstalls(appId: string, touchpointIds: string[], reason: string, value: string | null): Promise<number> {
    if (touchpointIds.length === 0) return 0;
    const result = await this.trx
      .updateTable('installs')
      .set({ status: 'rejected', rejected_reason: reason, rejected_value: value })
      .where('app_id', '=', appId)
      .where('touchpoint_id', 'in', touchpointIds)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

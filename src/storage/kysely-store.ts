import { Migrator, sql, type Kysely, type Selectable } from 'kysely';
import type { App, AppSettings, Campaign, Platform, Store as Storefront, TokenInfo } from '../domain/apps.js';
import { newAppSignature, newId } from '../domain/ids.js';
import { IP_FLOOD_WINDOW_MS } from '../domain/fraud.js';
import { migrationProvider } from './migrations/index.js';
import { INSTALL_COLUMNS, type AppsTable, type CampaignsTable, type Database, type TokensTable } from './schema.js';
import { DEVICE_ID_KINDS, type Identity } from '../domain/devices.js';
import { KyselyStoreTx } from './kysely-store-tx.js';
import { networkSpelling } from './networks.js';
import { QueryTemplates } from './query-templates.js';
import { MONTHS_AHEAD, PARTITIONED_TABLES, ensureMonthlyPartitions, listPartitions, monthOf, monthStartMs, partitionMonth, type PartitionedTable } from './postgres/partitions.js';
import * as reports from './report-queries.js';
import type { SegmentRule } from '../domain/segments.js';
import type {
  DialectName,
  EventRow,
  InstallRow,
  MigrationReport,
  NewApp,
  NewCampaign,
  NewToken,
  Store,
  StoreTx,
  TokenGrant,
  Touchpoint,
  DeliveryAttemptRow,
  DeliveryRow,
  DeliveryUpdate,
  PostbackRow,
  PruneReport,
  ReportQuery,
  SegmentRow,
} from './store.js';

const MIGRATE_ATTEMPTS = 5;
const CONFLICT_ATTEMPTS = 4;

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back whole. */
function isConflict(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '40P01' || code === '40001';
}

/** PostgreSQL's "relation does not exist" and "cache lookup failed" while the catalog changes under a query. */
function isConcurrentCatalogChange(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  // 42P01 a table, 3F000 a whole schema (our own exists: prepare created it before).
  return code === '42P01' || code === '3F000' || (code === 'XX000' && /cache lookup failed/.test(String((error as Error).message)));
}

/** What differs between databases, supplied by sqlite/ and postgres/. */
export interface DialectHooks {
  readonly name: DialectName;
  readonly writeConcurrency: number;
  /**
   * The schema holding Kysely's migration tables. Kysely looks for them across all schemas
   * unless told, so two installs in two schemas of one database must each name theirs.
   */
  readonly migrationSchema?: string | undefined;
  /** Whether SELECT … FOR UPDATE SKIP LOCKED exists (PostgreSQL) for claiming deliveries. */
  readonly skipLocked: boolean;
  /** Whether touchpoints and events are partitioned by month (PostgreSQL, migration 0008). */
  readonly partitioned: boolean;
  /** Whether hot-path LIMITs are written into the SQL rather than bound (SQLite; see KyselyStoreTx). */
  readonly inlineLimits: boolean;
  /**
   * Runs one transaction (`run` opens it on the Kysely it is given) and answers once it is
   * durable; SQLite uses it to flush the WAL off the event loop. Absent: `run(db)`.
   */
  readonly durableTransaction?: <T>(db: Kysely<Database>, run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;
  /** Runs before migrations: e.g. creating the PostgreSQL schema. */
  prepare(db: Kysely<Database>): Promise<void>;
  /** Closes what Kysely does not own. */
  close(): Promise<void>;
}

/** The one implementation of the Store queries, shared by both dialects. */
export class KyselyStore implements Store {
  readonly dialect: DialectName;
  readonly writeConcurrency: number;
  /** Hot-path queries compiled once per store (the SQL differs by dialect). */
  private readonly templates: QueryTemplates;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly hooks: DialectHooks,
  ) {
    this.dialect = hooks.name;
    this.writeConcurrency = hooks.writeConcurrency;
    this.templates = new QueryTemplates();
  }

  async migrate(): Promise<MigrationReport> {
    await this.hooks.prepare(this.db);
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider,
      ...(this.hooks.migrationSchema ? { migrationTableSchema: this.hooks.migrationSchema } : {}),
    });
    // Kysely's migrator lists the tables of every schema to find its own; a table dropped in
    // another schema meanwhile (another install sharing the database) fails that listing. It
    // changes nothing, so it is tried again.
    for (let attempt = 1; ; attempt++) {
      const { error, results = [] } = await migrator.migrateToLatest();
      if (error && isConcurrentCatalogChange(error) && attempt < MIGRATE_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        continue;
      }
      if (error) throw error instanceof Error ? error : new Error(String(error));
      const all = await migrator.getMigrations();
      const executed = all.filter((m) => m.executedAt !== undefined);
      return {
        applied: results.filter((r) => r.status === 'Success').map((r) => r.migrationName),
        current: executed.at(-1)?.name ?? null,
      };
    }
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('apps').select('app_id').limit(1).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
    await this.hooks.close();
  }

  async createApp(input: NewApp): Promise<App> {
    const row: AppsTable = {
      app_id: input.app_id ?? newId(),
      name: input.name,
      platform: input.platform,
      store: input.store,
      store_url: input.store_url,
      app_signature: input.app_signature ?? newAppSignature(),
      created_at: Date.now(),
      click_window_s: null,
      view_window_s: null,
      probabilistic_window_s: null,
      min_ctit_s: null,
      max_installs_per_ip: null,
      reinstall_after_days: null,
      blocked_cidrs: null,
    };
    await this.db.insertInto('apps').values(row).execute();
    return toApp(row);
  }

  async updateAppSettings(appId: string, settings: Partial<AppSettings>): Promise<App | undefined> {
    const { blocked_cidrs, ...numbers } = settings;
    const patch = { ...numbers, ...(blocked_cidrs === undefined ? {} : { blocked_cidrs: blocked_cidrs.join(',') || null }) };
    if (Object.keys(patch).length > 0) {
      await this.db.transaction().execute(async (trx) => {
        const before = await trx.selectFrom('apps').select('max_installs_per_ip').where('app_id', '=', appId).executeTakeFirst();
        await trx.updateTable('apps').set(patch).where('app_id', '=', appId).execute();
        // The IP rule counts installs stored with their IP counted (migration 0011). Switched
        // on, it counts the window before too, as it would have had it always been on.
        if (before?.max_installs_per_ip === null && typeof patch.max_installs_per_ip === 'number') {
          await trx
            .updateTable('installs')
            .set({ counted_ip: sql.ref('ip') })
            .where('app_id', '=', appId)
            .where('installed_at', '>=', Date.now() - IP_FLOOD_WINDOW_MS)
            .where('ip', 'is not', null)
            .execute();
        }
      });
    }
    return this.getApp(appId);
  }

  async getApp(appId: string): Promise<App | undefined> {
    const row = await this.db.selectFrom('apps').selectAll().where('app_id', '=', appId).executeTakeFirst();
    return row && toApp(row);
  }

  async listApps(): Promise<App[]> {
    const rows = await this.db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('app_id').execute();
    return rows.map(toApp);
  }

  async createToken(input: NewToken): Promise<TokenInfo> {
    const row: TokensTable = {
      token_id: newId(),
      name: input.name,
      token_hash: input.token_hash,
      token_prefix: input.token_prefix,
      secret: input.secret,
      created_at: Date.now(),
      revoked_at: null,
    };
    const appIds = [...new Set(input.app_ids)];
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tokens').values(row).execute();
      await trx
        .insertInto('token_apps')
        .values(appIds.map((app_id) => ({ token_id: row.token_id, app_id })))
        .execute();
    });
    return toTokenInfo(row, appIds);
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = await this.db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('token_id').execute();
    const grants = await this.db.selectFrom('token_apps').selectAll().orderBy('app_id').execute();
    const appsByToken = new Map<string, string[]>();
    for (const grant of grants) {
      const list = appsByToken.get(grant.token_id) ?? [];
      list.push(grant.app_id);
      appsByToken.set(grant.token_id, list);
    }
    return rows.map((row) => toTokenInfo(row, appsByToken.get(row.token_id) ?? []));
  }

  async findTokenByHash(tokenHash: string): Promise<TokenGrant | undefined> {
    const row = await this.db
      .selectFrom('tokens')
      .select(['token_id', 'secret', 'revoked_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row) return undefined;
    const grants = await this.db.selectFrom('token_apps').select('app_id').where('token_id', '=', row.token_id).execute();
    return {
      token_id: row.token_id,
      secret: row.secret,
      app_ids: grants.map((g) => g.app_id),
      revoked: row.revoked_at !== null,
    };
  }

  async revokeToken(by: { token_hash: string } | { token_id: string }): Promise<TokenInfo | undefined> {
    const now = Date.now();
    const match =
      'token_hash' in by
        ? ({ column: 'token_hash', value: by.token_hash } as const)
        : ({ column: 'token_id', value: by.token_id } as const);
    await this.db
      .updateTable('tokens')
      .set({ revoked_at: now })
      .where(match.column, '=', match.value)
      .where('revoked_at', 'is', null)
      .execute();
    const row = await this.db.selectFrom('tokens').selectAll().where(match.column, '=', match.value).executeTakeFirst();
    if (!row) return undefined;
    const grants = await this.db.selectFrom('token_apps').select('app_id').where('token_id', '=', row.token_id).execute();
    return toTokenInfo(
      row,
      grants.map((g) => g.app_id),
    );
  }

  async createCampaign(input: NewCampaign): Promise<Campaign> {
    const row: CampaignsTable = {
      campaign_id: newId(),
      app_id: input.app_id,
      network: await networkSpelling(this.db, input.app_id, input.network),
      name: input.name,
      cpi: input.cpi,
      created_at: Date.now(),
      click_window_s: input.click_window_s,
      view_window_s: input.view_window_s,
      probabilistic_window_s: input.probabilistic_window_s,
    };
    await this.db.insertInto('campaigns').values(row).execute();
    return toCampaign(row);
  }

  async getCampaign(campaignId: string): Promise<Campaign | undefined> {
    const row = await this.db.selectFrom('campaigns').selectAll().where('campaign_id', '=', campaignId).executeTakeFirst();
    return row && toCampaign(row);
  }

  async listCampaigns(appId?: string): Promise<Campaign[]> {
    let query = this.db.selectFrom('campaigns').selectAll();
    if (appId !== undefined) query = query.where('app_id', '=', appId);
    const rows = await query.orderBy('created_at').orderBy('campaign_id').execute();
    return rows.map(toCampaign);
  }

  async getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined> {
    return this.db.selectFrom('touchpoints').selectAll().where('touchpoint_id', '=', touchpointId).executeTakeFirst();
  }

  async findIdempotencyKey(appId: string, key: string, since: number): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select('record_id')
      .where('app_id', '=', appId)
      .where('idem_key', '=', key)
      .where('created_at', '>=', since)
      .executeTakeFirst();
    return row?.record_id;
  }

  async getInstallByUser(appId: string, identity: Identity): Promise<InstallRow | undefined> {
    return this.db
      .selectFrom('installs')
      .innerJoin('user_identities', 'user_identities.user_pk', 'installs.user_pk')
      .select(INSTALL_COLUMNS.map((c) => `installs.${c}` as const))
      .where('user_identities.app_id', '=', appId)
      .where('user_identities.kind', '=', identity.kind)
      .where('user_identities.value', '=', identity.value)
      .where('installs.kind', '=', 'install')
      .executeTakeFirst();
  }

  async listInstalls(appId: string): Promise<InstallRow[]> {
    return this.db.selectFrom('installs').select(INSTALL_COLUMNS).where('app_id', '=', appId).orderBy('installed_at').orderBy('install_id').execute();
  }

  async listEvents(appId: string): Promise<EventRow[]> {
    return this.db.selectFrom('events').selectAll().where('app_id', '=', appId).orderBy('occurred_at').orderBy('event_pk').execute();
  }

  async listKnownDevices(appId: string): Promise<Identity[]> {
    const rows = await this.db
      .selectFrom('user_identities')
      .innerJoin('users', 'users.user_pk', 'user_identities.user_pk')
      .select(['user_identities.kind', 'user_identities.value'])
      .where('user_identities.app_id', '=', appId)
      .where('user_identities.kind', 'in', [...DEVICE_ID_KINDS])
      .orderBy('users.created_at')
      .orderBy('user_identities.kind')
      .orderBy('user_identities.value')
      .execute();
    return rows as Identity[];
  }

  async createPostback(row: PostbackRow): Promise<void> {
    await this.db.insertInto('postbacks').values(row).execute();
  }

  async listPostbacks(appId?: string): Promise<PostbackRow[]> {
    let query = this.db.selectFrom('postbacks').selectAll().where('removed_at', 'is', null);
    if (appId !== undefined) query = query.where('app_id', '=', appId);
    return query.orderBy('created_at').orderBy('postback_id').execute();
  }

  async removePostback(postbackId: string): Promise<boolean> {
    const result = await this.db
      .updateTable('postbacks')
      .set({ removed_at: Date.now() })
      .where('postback_id', '=', postbackId)
      .where('removed_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    return this.db.transaction().execute(async (trx) => {
      let due = trx
        .selectFrom('deliveries')
        .select('delivery_id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
        .orderBy('next_attempt_at')
        .limit(limit);
      if (this.hooks.skipLocked) due = due.forUpdate().skipLocked();
      const ids = (await due.execute()).map((r) => r.delivery_id);
      if (ids.length === 0) return [];
      return trx.updateTable('deliveries').set({ claimed_until: now + leaseMs }).where('delivery_id', 'in', ids).returningAll().execute();
    });
  }

  async recordAttempt(attempt: DeliveryAttemptRow, update: DeliveryUpdate): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('delivery_attempts').values(attempt).execute();
      await trx
        .updateTable('deliveries')
        .set({ ...update, claimed_until: null })
        .where('delivery_id', '=', attempt.delivery_id)
        .execute();
    });
  }

  async releaseClaims(deliveryIds: string[]): Promise<void> {
    if (deliveryIds.length === 0) return;
    await this.db.updateTable('deliveries').set({ claimed_until: null }).where('delivery_id', 'in', deliveryIds).execute();
  }

  async listDeliveries(filter: { appId?: string; status?: DeliveryRow['status']; limit: number }): Promise<DeliveryRow[]> {
    let query = this.db.selectFrom('deliveries').selectAll();
    if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
    if (filter.status !== undefined) query = query.where('status', '=', filter.status);
    return query.orderBy('created_at', 'desc').orderBy('delivery_id', 'desc').limit(filter.limit).execute();
  }

  getDelivery(deliveryId: string): Promise<DeliveryRow | undefined> {
    return this.db.selectFrom('deliveries').selectAll().where('delivery_id', '=', deliveryId).executeTakeFirst();
  }

  listAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]> {
    return this.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempted_at').orderBy('attempt_id').execute();
  }

  async retryDelivery(deliveryId: string, now: number, ttlMs: number): Promise<DeliveryRow | undefined> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'pending', next_attempt_at: now, expires_at: now + ttlMs, finished_at: null, claimed_until: null })
      .where('delivery_id', '=', deliveryId)
      .where('status', '!=', 'delivered')
      .execute();
    return this.getDelivery(deliveryId);
  }

  async countDeliveries(): Promise<Record<DeliveryRow['status'], number>> {
    const rows = await this.db
      .selectFrom('deliveries')
      .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('status')
      .execute();
    const counts = { pending: 0, delivered: 0, failed: 0, dead: 0 };
    for (const row of rows) counts[row.status] = Number(row.n);
    return counts;
  }



  listRates(): Promise<{ currency: string; usd_per_unit: number; updated_at: number }[]> {
    return this.db.selectFrom('currency_rates').selectAll().orderBy('currency').execute();
  }

  async setRate(currency: string, usdPerUnit: number): Promise<void> {
    const row = { currency, usd_per_unit: usdPerUnit, updated_at: Date.now() };
    await this.db
      .insertInto('currency_rates')
      .values(row)
      .onConflict((oc) => oc.column('currency').doUpdateSet({ usd_per_unit: usdPerUnit, updated_at: row.updated_at }))
      .execute();
  }

  reportInstallCounters(query: ReportQuery) {
    return reports.reportInstallCounters(this.db, query);
  }

  reportTouchCounts(query: ReportQuery) {
    return reports.reportTouchCounts(this.db, query);
  }

  cohortMatrix(appId: string, fromDay: number, toDay: number, maxDay: number) {
    return reports.cohortMatrix(this.db, appId, fromDay, toDay, maxDay);
  }

  createSegment(row: SegmentRow): Promise<void> {
    return reports.createSegment(this.db, row);
  }

  async getSegment(segmentId: string): Promise<SegmentRow | undefined> {
    return (await reports.listSegments(this.db, { segmentId }))[0];
  }

  listSegments(appId: string): Promise<SegmentRow[]> {
    return reports.listSegments(this.db, { appId });
  }

  segmentIdentities(appId: string, rules: SegmentRule[], now: number) {
    return reports.segmentIdentities(this.db, appId, rules, now);
  }

  async ensurePartitions(now: number): Promise<string[]> {
    if (!this.hooks.partitioned) return [];
    const created: string[] = [];
    for (const table of Object.keys(PARTITIONED_TABLES) as PartitionedTable[]) {
      created.push(...(await ensureMonthlyPartitions(this.db, table, monthOf(now), monthOf(now) + MONTHS_AHEAD)));
    }
    return created;
  }

  async prune(cutoff: number): Promise<PruneReport> {
    const report: PruneReport = { dropped_partitions: [], deleted_rows: { touchpoints: 0, events: 0, event_dedup: 0, idempotency_keys: 0 } };
    for (const [table, column] of Object.entries(PARTITIONED_TABLES) as [PartitionedTable, string][]) {
      if (this.hooks.partitioned) {
        // Whole months before the cutoff go in one DROP each; the default partition's old rows by DELETE.
        for (const name of await listPartitions(this.db, table)) {
          const month = partitionMonth(table, name);
          if (month === undefined || monthStartMs(month + 1) > cutoff) continue;
          await sql`drop table ${sql.id(name)}`.execute(this.db);
          report.dropped_partitions.push(name);
        }
        const fromDefault = await sql`delete from ${sql.id(`${table}_pdefault`)} where ${sql.id(column)} < ${cutoff}`.execute(this.db);
        report.deleted_rows[table] += Number(fromDefault.numAffectedRows ?? 0);
      } else {
        const deleted = await sql`delete from ${sql.id(table)} where ${sql.id(column)} < ${cutoff}`.execute(this.db);
        report.deleted_rows[table] += Number(deleted.numAffectedRows ?? 0);
      }
    }
    const dedup = await this.db.deleteFrom('event_dedup').where('created_at', '<', cutoff).executeTakeFirst();
    report.deleted_rows.event_dedup = Number(dedup.numDeletedRows);
    const keys = await this.db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
    report.deleted_rows.idempotency_keys = Number(keys.numDeletedRows);
    return report;
  }

  async transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    // Two processes touching the same users in different orders deadlock now and then; the
    // database aborts one of them whole, so running it again is safe and usually succeeds.
    for (let attempt = 1; ; attempt++) {
      try {
        const run = (db: Kysely<Database>) => db.transaction().execute((trx) => work(new KyselyStoreTx(trx, this.templates, this.hooks.inlineLimits)));
        return await (this.hooks.durableTransaction ? this.hooks.durableTransaction(this.db, run) : run(this.db));
      } catch (error) {
        if (attempt >= CONFLICT_ATTEMPTS || !isConflict(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      }
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function toApp(row: Selectable<AppsTable>): App {
  return {
    app_id: row.app_id,
    name: row.name,
    platform: row.platform as Platform,
    store: row.store as Storefront,
    store_url: row.store_url,
    app_signature: row.app_signature,
    settings: {
      click_window_s: row.click_window_s,
      view_window_s: row.view_window_s,
      probabilistic_window_s: row.probabilistic_window_s,
      min_ctit_s: row.min_ctit_s,
      max_installs_per_ip: row.max_installs_per_ip,
      blocked_cidrs: row.blocked_cidrs ? row.blocked_cidrs.split(',') : [],
      reinstall_after_days: row.reinstall_after_days,
    },
    created_at: iso(row.created_at),
  };
}

function toCampaign(row: Selectable<CampaignsTable>): Campaign {
  return {
    campaign_id: row.campaign_id,
    app_id: row.app_id,
    network: row.network,
    name: row.name,
    cpi: row.cpi,
    click_window_s: row.click_window_s,
    view_window_s: row.view_window_s,
    probabilistic_window_s: row.probabilistic_window_s,
    created_at: iso(row.created_at),
  };
}

function toTokenInfo(row: Selectable<TokensTable>, appIds: string[]): TokenInfo {
  return {
    token_id: row.token_id,
    name: row.name,
    token_prefix: row.token_prefix,
    app_ids: appIds,
    has_secret: row.secret !== null,
    created_at: iso(row.created_at),
    revoked_at: row.revoked_at === null ? null : iso(row.revoked_at),
  };
}

import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { MONTHS_AHEAD, ensureMonthlyPartitions, monthOf } from '../postgres/partitions.js';
import type { HistoryTable } from '../schema.js';

// History that stays fast. On PostgreSQL, `touchpoints` and `events` become tables partitioned
// by month (declarative range partitioning), so old months go with a DROP of their partition
// (`s2s prune`). A partitioned table's unique keys must hold its partition key, so:
// - a touchpoint is unique by (touchpoint_id, created_at) — its id already begins with its second;
// - event dedup keys move to `event_dedup`, which is small and not partitioned.
// SQLite keeps its tables as they are; both dialects get event_dedup and the same conflict targets.

const DEVICE_COLUMNS = ['idfa', 'gaid', 'uuid', 'fire_adid', 'ip'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_dedup')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('event_pk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_dedup_pk', ['app_id', 'dedup_key'])
    .execute();
  await db.schema.createIndex('event_dedup_created_idx').on('event_dedup').column('created_at').execute();
  await sql`insert into event_dedup (app_id, dedup_key, event_pk, created_at)
            select app_id, dedup_key, event_pk, received_at from events where dedup_key is not null`.execute(db);
  await db.schema.dropIndex('events_dedup_idx').execute();

  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await partition(db, 'touchpoints', 'touchpoint_id', 'created_at');
    await partition(db, 'events', 'event_pk', 'occurred_at');
    for (const column of DEVICE_COLUMNS) {
      await db.schema
        .createIndex(`touchpoints_${column}_idx`)
        .on('touchpoints')
        .columns(['app_id', column, 'created_at'])
        .where(sql.ref(column), 'is not', null)
        .execute();
    }
    await db.schema.createIndex('touchpoints_campaign_idx').on('touchpoints').columns(['campaign_id', 'created_at']).execute();
    await db.schema.createIndex('events_app_time_idx').on('events').columns(['app_id', 'occurred_at']).execute();
    await db.schema.createIndex('events_user_idx').on('events').columns(['user_pk', 'occurred_at']).execute();
  } else {
    await db.schema.createIndex('touchpoints_id_time_idx').unique().on('touchpoints').columns(['touchpoint_id', 'created_at']).execute();
  }
}

/** Rebuilds `table` as a partitioned table with the same columns and rows (indexes: the caller). */
async function partition(db: Kysely<unknown>, table: HistoryTable, idColumn: string, timeColumn: string): Promise<void> {
  const old = `${table}_unpartitioned`;
  await sql`alter table ${sql.id(table)} rename to ${sql.id(old)}`.execute(db);
  await sql`create table ${sql.id(table)} (like ${sql.id(old)} including defaults) partition by range (${sql.id(timeColumn)})`.execute(db);
  await sql`alter table ${sql.id(table)} add primary key (${sql.id(idColumn)}, ${sql.id(timeColumn)})`.execute(db);
  const span = await sql<{ first: number | null; last: number | null }>`select min(${sql.id(timeColumn)}) as first, max(${sql.id(timeColumn)}) as last from ${sql.id(old)}`.execute(db);
  const now = Date.now();
  const first = Math.min(monthOf(Number(span.rows[0]?.first ?? now)), monthOf(now) - 1);
  const last = Math.max(monthOf(Number(span.rows[0]?.last ?? now)), monthOf(now)) + MONTHS_AHEAD;
  await ensureMonthlyPartitions(db, table, first, last);
  await sql`create table ${sql.id(`${table}_pdefault`)} partition of ${sql.id(table)} default`.execute(db);
  await sql`insert into ${sql.id(table)} select * from ${sql.id(old)}`.execute(db);
  await sql`drop table ${sql.id(old)}`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0008-history-partitions cannot be undone (restore a backup taken before it)');
}

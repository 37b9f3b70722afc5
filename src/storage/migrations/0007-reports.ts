import { sql, type Kysely } from 'kysely';

// Reports read per-install summaries and daily touch counts, kept up to date in the same
// transaction as the rows they summarise, so a report over millions of events reads one row
// per install of its range (by the installs_app_time_idx index) and one per day of touches,
// never the events themselves.

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['opens', 'purchases', 'unpriced_purchases', 'active_days']) {
    await db.schema.alterTable('installs').addColumn(column, 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  }
  await db.schema.alterTable('installs').addColumn('revenue_usd', 'double precision', (c) => c.notNull().defaultTo(0)).execute();

  await db.schema
    .createTable('touchpoint_days')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    // '' rather than null for "none", so the primary key can hold it.
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('touchpoint_days_pk', ['app_id', 'day', 'kind', 'campaign_id', 'network'])
    .execute();

  await db.schema
    .createTable('segments')
    .addColumn('segment_id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('segments_app_idx').on('segments').column('app_id').execute();

  await rebuildReportSummaries(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('segments').execute();
  await db.schema.dropTable('touchpoint_days').execute();
  for (const column of ['opens', 'purchases', 'unpriced_purchases', 'active_days', 'revenue_usd']) {
    await db.schema.alterTable('installs').dropColumn(column).execute();
  }
}

/** Recomputes every summary from the stored events and touchpoints (for data stored before 0007). */
export async function rebuildReportSummaries(db: Kysely<unknown>): Promise<void> {
  const dayAfter = sql`(e.occurred_at / 86400000 - installs.installed_at / 86400000)`;
  await sql`
    UPDATE installs SET
      opens = (SELECT count(*) FROM events e WHERE e.user_pk = installs.user_pk AND e.kind = 'open'),
      purchases = (SELECT count(*) FROM events e WHERE e.user_pk = installs.user_pk AND e.kind = 'purchase'),
      unpriced_purchases = (SELECT count(*) FROM events e WHERE e.user_pk = installs.user_pk AND e.kind = 'purchase' AND e.revenue_usd IS NULL),
      revenue_usd = (SELECT coalesce(sum(e.revenue_usd), 0) FROM events e WHERE e.user_pk = installs.user_pk),
      active_days = (
        SELECT coalesce(sum(d.bit), 0) FROM (
          SELECT DISTINCT cast(1 as bigint) << cast(${dayAfter} as integer) AS bit
          FROM events e
          WHERE e.user_pk = installs.user_pk AND e.kind = 'open' AND ${dayAfter} BETWEEN 0 AND 30
        ) d
      )
    WHERE kind = 'install'`.execute(db);
  await sql`DELETE FROM touchpoint_days`.execute(db);
  await sql`
    INSERT INTO touchpoint_days (app_id, day, kind, campaign_id, network, count)
    SELECT app_id, cast(created_at / 86400000 as integer), kind, coalesce(campaign_id, ''), coalesce(network, ''), count(*)
    FROM touchpoints
    GROUP BY app_id, cast(created_at / 86400000 as integer), kind, coalesce(campaign_id, ''), coalesce(network, '')`.execute(db);
}

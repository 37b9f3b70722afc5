import { sql, type Kysely } from 'kysely';

// Ad revenue is a kind of event (`ad_revenue`) beside purchases: Adjust's `/ad_revenue`, AppLovin
// MAX's impression postback and import lines store it with what earned it (source, network,
// unit, placement, impressions). Each first install's summary (0007) gains the ad revenue part
// of its revenue, its impressions, and its cumulative revenue by day 0, 7 and 30 after install
// (LTV), filled in here from the events already stored.

const SUMMARY = ['ad_revenue_usd', 'ad_impressions', 'revenue_d0_usd', 'revenue_d7_usd', 'revenue_d30_usd'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const column of ['ad_source', 'ad_network', 'ad_unit', 'ad_placement']) {
    await db.schema.alterTable('events').addColumn(column, 'text').execute();
  }
  await db.schema.alterTable('events').addColumn('ad_impressions', 'bigint').execute();
  for (const column of SUMMARY) {
    const type = column === 'ad_impressions' ? 'bigint' : 'double precision';
    await db.schema.alterTable('installs').addColumn(column, type, (c) => c.notNull().defaultTo(0)).execute();
  }
  // Revenue dated before its install counts from day 0, as ingest counts it.
  const revenueBy = (day: number) => sql`(SELECT coalesce(sum(e.revenue_usd), 0) FROM events e
    WHERE e.user_pk = installs.user_pk AND e.revenue_usd IS NOT NULL
      AND e.occurred_at / 86400000 - installs.installed_at / 86400000 <= ${sql.lit(day)})`;
  await sql`UPDATE installs SET revenue_d0_usd = ${revenueBy(0)}, revenue_d7_usd = ${revenueBy(7)}, revenue_d30_usd = ${revenueBy(30)}
    WHERE kind = 'install' AND revenue_usd <> 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of SUMMARY) await db.schema.alterTable('installs').dropColumn(column).execute();
  for (const column of ['ad_source', 'ad_network', 'ad_unit', 'ad_placement', 'ad_impressions']) {
    await db.schema.alterTable('events').dropColumn(column).execute();
  }
}

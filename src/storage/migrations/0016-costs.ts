import type { Kysely } from 'kysely';

// What campaigns really cost, by UTC day: imported from a network's spend report (`s2s costs
// import`) or put by the admin API (`PUT /admin/costs`). A (day, campaign) with a row here is
// reported at that spend; without one, at CPI × installs. Re-importing a day replaces it.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('costs')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('spend', 'double precision', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('spend_usd', 'double precision', (c) => c.notNull())
    .addColumn('impressions', 'bigint')
    .addColumn('clicks', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('costs_pk', ['app_id', 'day', 'campaign_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('costs').execute();
}

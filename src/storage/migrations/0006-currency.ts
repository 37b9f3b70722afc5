import type { Kysely } from 'kysely';

// Revenue normalised to USD at ingest (null: the currency had no rate — flagged, kept out of
// USD totals), and the operator's rates, which override the shipped defaults.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('revenue_usd', 'double precision').execute();
  await db.schema
    .createTable('currency_rates')
    .addColumn('currency', 'text', (c) => c.primaryKey())
    .addColumn('usd_per_unit', 'double precision', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('currency_rates').execute();
  await db.schema.alterTable('events').dropColumn('revenue_usd').execute();
}

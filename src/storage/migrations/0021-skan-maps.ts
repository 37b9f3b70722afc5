import type { Kysely } from 'kysely';

// How an app reads its SKAdNetwork postbacks (domain/skan-report.ts): which campaign an ad
// network's `campaign-id` / `source-identifier` stands for, and what each conversion value
// means (an event, a revenue range in USD).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('skan_campaign_map')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('ad_network_id', 'text', (c) => c.notNull())
    .addColumn('source_identifier', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('skan_campaign_map_pk', ['app_id', 'ad_network_id', 'source_identifier'])
    .execute();
  await db.schema
    .createTable('skan_conversion_schema')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // fine | coarse
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('event', 'text')
    .addColumn('revenue_min_usd', 'double precision')
    .addColumn('revenue_max_usd', 'double precision')
    .addPrimaryKeyConstraint('skan_conversion_schema_pk', ['app_id', 'kind', 'value'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('skan_conversion_schema').execute();
  await db.schema.dropTable('skan_campaign_map').execute();
}

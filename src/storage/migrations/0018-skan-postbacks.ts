import type { Kysely } from 'kysely';

// Apple's postbacks (SKAdNetwork, AdAttributionKit), each stored once with its verification
// (domain/skan.ts, domain/adattributionkit.ts): a repeat has the same ad network, transaction
// and sequence index, and winning and non-winning postbacks of one install go to different
// networks. Listed per app, newest first. An app may accept AdAttributionKit's development keys
// while it is tested (`apple_development`).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('skan_postbacks')
    .addColumn('postback_pk', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('version', 'text')
    .addColumn('ad_network_id', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text', (c) => c.notNull())
    .addColumn('sequence_index', 'integer', (c) => c.notNull())
    .addColumn('app_store_id', 'text', (c) => c.notNull())
    .addColumn('source_identifier', 'text')
    .addColumn('source_app_id', 'text')
    .addColumn('source_domain', 'text')
    .addColumn('fidelity_type', 'integer')
    .addColumn('redownload', 'integer')
    .addColumn('did_win', 'integer')
    .addColumn('conversion_type', 'text')
    .addColumn('conversion_value', 'integer')
    .addColumn('coarse_conversion_value', 'text')
    .addColumn('country_code', 'text')
    .addColumn('verification', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('skan_postbacks_once').unique().on('skan_postbacks').columns(['ad_network_id', 'transaction_id', 'sequence_index']).execute();
  await db.schema.alterTable('apps').addColumn('apple_development', 'integer').execute();
  await db.schema.createIndex('skan_postbacks_app_time').on('skan_postbacks').columns(['app_id', 'received_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('apps').dropColumn('apple_development').execute();
  await db.schema.dropTable('skan_postbacks').execute();
}

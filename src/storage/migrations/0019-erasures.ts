import type { Kysely } from 'kysely';

// The log of erasures (storage/erasure-queries.ts): when, which app, who asked, how many users
// and rows per table. Never the ids erased.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('erasures')
    .addColumn('erasure_id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('requested_at', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('users', 'integer', (c) => c.notNull())
    .addColumn('rows', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('erasures_app_time').on('erasures').columns(['app_id', 'requested_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('erasures').execute();
}

import type { Kysely } from 'kysely';

// Idempotency-Key on requests that mint a record id (/click, /view): the key remembers the id
// of the first request, so a retry answers the same id and stores nothing new. Other records
// are idempotent by their own keys (events' dedup_key, one install per user).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('idem_key', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['app_id', 'idem_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}

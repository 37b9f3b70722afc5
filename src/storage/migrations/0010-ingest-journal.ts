import { PostgresAdapter, type Kysely } from 'kysely';

// The ingest journal (S2S_INGEST_JOURNAL=on): opens, installs and events acknowledged once
// appended here, attributed right after by the journal applier (src/ingest/journal.ts), which
// deletes each entry in the transaction that records it. `seq` orders entries as they arrived.
// An entry that cannot be recorded (not a database outage: a bug, or a record no version can
// take) keeps its error in `failed_at` and `error` and is skipped, never retried in a loop.

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('ingest_journal')
    // SQLite: an INTEGER PRIMARY KEY is the rowid, so appends go to the end of the table.
    .addColumn('seq', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'bigint')
    .addColumn('error', 'text')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ingest_journal').execute();
}

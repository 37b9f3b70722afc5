import { sql, type Kysely } from 'kysely';
import { up as createIngestJournal } from './0010-ingest-journal.js';

// The ingest journal was removed (issue #19, docs/performance.md "one ingest path"): every
// conversion is now answered once it is recorded. An entry still in the table was answered 200
// and never recorded, so the table is dropped only when empty: a database with entries left
// must first be drained by the version that wrote them, and this migration says how.

export async function up(db: Kysely<unknown>): Promise<void> {
  const { rows } = await sql<{ n: number | string }>`select count(*) as n from ingest_journal`.execute(db);
  const left = Number(rows[0]?.n ?? 0);
  if (left > 0) {
    throw new Error(
      `ingest_journal holds ${left} conversion(s) acknowledged but not yet recorded: start the previous version with S2S_INGEST_JOURNAL=on until \`s2s journal status\` shows 0 pending and 0 set aside (\`s2s journal replay\` for those), then upgrade`,
    );
  }
  await db.schema.dropTable('ingest_journal').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await createIngestJournal(db);
}

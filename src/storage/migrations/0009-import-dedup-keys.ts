import { PostgresAdapter, sql, type Kysely } from 'kysely';

// Imported events' dedup keys were `import:` + the sha256 of the line (64 hex); they are now
// `import:` + the event's second in 9 hex digits + `:` + the first 32 hex of that same sha256,
// so that a backfill appends to the dedup index (docs/performance.md). The event's second is
// its `occurred_at`, so old keys are rewritten here: a file imported before this version and
// imported again still adds nothing twice.
const OLD_KEY = sql`dedup_key like 'import:%' and length(dedup_key) = 71`;

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const second = (column: string) =>
    postgres ? sql`lpad(to_hex(${sql.ref(column)} / 1000), 9, '0')` : sql`printf('%09x', ${sql.ref(column)} / 1000)`;
  // substr from 8: the hash after 'import:'.
  const newKey = (occurredAt: string, oldKey: string) => sql`'import:' || ${second(occurredAt)} || ':' || substr(${sql.ref(oldKey)}, 8, 32)`;

  await sql`update event_dedup set dedup_key = (
              select ${newKey('events.occurred_at', 'event_dedup.dedup_key')} from events where events.event_pk = event_dedup.event_pk)
            where ${OLD_KEY} and exists (select 1 from events where events.event_pk = event_dedup.event_pk)`.execute(db);
  await sql`update events set dedup_key = ${newKey('occurred_at', 'dedup_key')} where ${OLD_KEY}`.execute(db);
}

export async function down(): Promise<void> {
  // The old keys cannot be rebuilt from the new ones (they keep half the hash); nothing to undo
  // that an older version would need: it would only store a re-imported line twice.
}

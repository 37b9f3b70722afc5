import type { Kysely } from 'kysely';

// Jobs every server process may run, one at a time: a process claims a job's lease by an
// upsert that succeeds only once the last lease ran out, and records where its run got to.
// The first is the daily removal of old IP addresses and user agents (ops/retention.ts).

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('job_runs')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('lease_until', 'bigint', (c) => c.notNull())
    .addColumn('done_until', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_runs').execute();
}

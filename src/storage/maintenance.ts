/** The database itself (MaintenanceStore): migrations, health, partitions and retention. */
import { Migrator, sql, type Kysely } from 'kysely';
import type { DialectHooks } from './dialect.js';
import { migrationProvider } from './migrations/index.js';
import { HISTORY_TABLES, type Database, type HistoryTable } from './schema.js';
import type { MaintenanceStore, MigrationReport, PruneReport } from './store.js';

const MIGRATE_ATTEMPTS = 5;
/** Rows one statement strips of their IP and user agent: short enough that SQLite's event loop keeps serving. */
const STRIP_CHUNK = 2000;
/** The time slice a strip walks events and installs by. */
const STRIP_SLICE_MS = 3_600_000;

/** Runs a chunked update until it updates nothing, yielding to the event loop between chunks; returns the rows updated. */
async function inChunks(update: () => Promise<{ numUpdatedRows: bigint }>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = Number((await update()).numUpdatedRows);
    total += n;
    if (n < STRIP_CHUNK) return total;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The MaintenanceStore over one database; closing it closes the dialect's own resources too. */
export function maintenance(db: Kysely<Database>, hooks: DialectHooks): MaintenanceStore {
  return {
    dialect: hooks.name,

    async migrate(): Promise<MigrationReport> {
      await hooks.prepare(db);
      const migrator = new Migrator({
        db,
        provider: migrationProvider,
        ...(hooks.migrationSchema ? { migrationTableSchema: hooks.migrationSchema } : {}),
      });
      // Kysely's migrator lists the tables of every schema to find its own; a table dropped in
      // another schema meanwhile (another install sharing the database) fails that listing. It
      // changes nothing, so it is tried again.
      // So is the listing after it (getMigrations lists them again); what a run applied before
      // its listing failed is counted, not a run that failed (its transaction rolled back).
      const applied: string[] = [];
      for (let attempt = 1; ; attempt++) {
        try {
          const { error, results = [] } = await migrator.migrateToLatest();
          if (error) throw error instanceof Error ? error : new Error(String(error));
          applied.push(...results.filter((r) => r.status === 'Success').map((r) => r.migrationName));
          const all = await migrator.getMigrations();
          return { applied, current: all.filter((m) => m.executedAt !== undefined).at(-1)?.name ?? null };
        } catch (error) {
          if (!hooks.errors.isConcurrentCatalogChange(error) || attempt >= MIGRATE_ATTEMPTS) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        }
      }
    },

    async ping(): Promise<void> {
      await db.selectFrom('apps').select('app_id').limit(1).execute();
    },

    async close(): Promise<void> {
      await db.destroy();
      await hooks.close();
    },

    ensurePartitions(now: number): Promise<string[]> {
      return hooks.partitions.ensure(db, now);
    },

    async prune(cutoff: number): Promise<PruneReport> {
      const report: PruneReport = { dropped_partitions: [], deleted_rows: { touchpoints: 0, events: 0, event_dedup: 0, idempotency_keys: 0 } };
      for (const [table, column] of Object.entries(HISTORY_TABLES) as [HistoryTable, string][]) {
        // Whole months go with their partition where the dialect has them; what is left (a
        // default partition, or the whole table) row by row.
        report.dropped_partitions.push(...(await hooks.partitions.dropBefore(db, table, cutoff)));
        const deleted = await sql`delete from ${sql.id(hooks.partitions.rowsTable(table))} where ${sql.id(column)} < ${cutoff}`.execute(db);
        report.deleted_rows[table] += Number(deleted.numAffectedRows ?? 0);
      }
      const dedup = await db.deleteFrom('event_dedup').where('created_at', '<', cutoff).executeTakeFirst();
      report.deleted_rows.event_dedup = Number(dedup.numDeletedRows);
      const keys = await db.deleteFrom('idempotency_keys').where('created_at', '<', cutoff).executeTakeFirst();
      report.deleted_rows.idempotency_keys = Number(keys.numDeletedRows);
      return report;
    },

    async stripNetworkData(cutoff, since, everything = false) {
      const stripped = { touchpoints: 0, events: 0, installs: 0 };
      const apps = (await db.selectFrom('apps').select('app_id').execute()).map((a) => a.app_id);
      const clear = { ip: null, user_agent: null };
      for (const appId of apps) {
        stripped.touchpoints += await inChunks(() =>
          db
            .updateTable('touchpoints')
            .set(clear)
            .where('touchpoint_id', 'in', db.selectFrom('touchpoints').select('touchpoint_id').where('app_id', '=', appId).where('ip', 'is not', null).where('created_at', '<', cutoff).limit(STRIP_CHUNK))
            .executeTakeFirst(),
        );
        if (everything) {
          stripped.touchpoints += await inChunks(() =>
            db
              .updateTable('touchpoints')
              .set(clear)
              .where('touchpoint_id', 'in', db.selectFrom('touchpoints').select('touchpoint_id').where('app_id', '=', appId).where('user_agent', 'is not', null).where('created_at', '<', cutoff).limit(STRIP_CHUNK))
              .executeTakeFirst(),
          );
        }
        // An hour at a time along the (app, time) index: the chunks of an hour do not re-read
        // the rows of the hours before, stripped already.
        const from = everything ? 0 : since;
        const start = await db.selectFrom('events').select((eb) => eb.fn.min('occurred_at').as('t')).where('app_id', '=', appId).where('occurred_at', '>=', from).where('occurred_at', '<', cutoff).executeTakeFirst();
        for (let t = start?.t == null ? cutoff : Number(start.t); t < cutoff; t += STRIP_SLICE_MS) {
          const until = Math.min(t + STRIP_SLICE_MS, cutoff);
          stripped.events += await inChunks(() =>
            db
              .updateTable('events')
              .set(clear)
              .where('event_pk', 'in', db.selectFrom('events').select('event_pk').where('app_id', '=', appId).where('occurred_at', '>=', t).where('occurred_at', '<', until)
                .where((eb) => eb.or([eb('ip', 'is not', null), eb('user_agent', 'is not', null)])).limit(STRIP_CHUNK))
              .executeTakeFirst(),
          );
        }
        const first = await db.selectFrom('installs').select((eb) => eb.fn.min('installed_at').as('t')).where('app_id', '=', appId).where('installed_at', '>=', from).where('installed_at', '<', cutoff).executeTakeFirst();
        for (let t = first?.t == null ? cutoff : Number(first.t); t < cutoff; t += STRIP_SLICE_MS) {
          const until = Math.min(t + STRIP_SLICE_MS, cutoff);
          stripped.installs += await inChunks(() =>
            db
              .updateTable('installs')
              .set({ ...clear, counted_ip: null })
              .where('install_id', 'in', db.selectFrom('installs').select('install_id').where('app_id', '=', appId).where('installed_at', '>=', t).where('installed_at', '<', until)
                .where((eb) => eb.or([eb('ip', 'is not', null), eb('user_agent', 'is not', null)])).limit(STRIP_CHUNK))
              .executeTakeFirst(),
          );
        }
      }
      return stripped;
    },

    async claimJob(name, now, leaseMs) {
      const row = await db
        .insertInto('job_runs')
        .values({ name, lease_until: now + leaseMs, done_until: 0 })
        .onConflict((oc) => oc.column('name').doUpdateSet({ lease_until: now + leaseMs }).where('job_runs.lease_until', '<', now))
        .returning('done_until')
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.done_until);
    },

    async finishJob(name, doneUntil) {
      await db.updateTable('job_runs').set({ done_until: doneUntil }).where('name', '=', name).execute();
    },

    async releaseJob(name) {
      await db.updateTable('job_runs').set({ lease_until: 0 }).where('name', '=', name).execute();
    },
  };
}

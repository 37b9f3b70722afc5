/**
 * The ingest side (IngestStore): the transaction every group commit runs in (its queries in
 * ingest-tx.ts), and the reads of what it stored.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Identity } from '../domain/devices.js';
import type { EventRow, InstallRow, Touchpoint } from '../domain/entities.js';
import type { DialectHooks } from './dialect.js';
import { batchStatements } from './batch-sql.js';
import { IngestTxQueries } from './ingest-tx.js';
import { INSTALL_COLUMNS, type Database } from './schema.js';
import { ConcurrentWriteError, type IngestStore, type IngestTx } from './store.js';

const CONFLICT_ATTEMPTS = 4;

/**
 * Runs `work` between `begin` (the dialect's opening, which may set the transaction's settings
 * in the same round trip) and COMMIT on one connection; ROLLBACK on failure, keeping the
 * failure's own error (a database that already rolled back, as SQLite does on a full disk,
 * refuses the ROLLBACK, and that refusal is not the news).
 */
async function inTransaction<T>(connection: Kysely<Database>, begin: string, queries: (connection: Kysely<Database>) => IngestTx, work: (tx: IngestTx) => Promise<T>): Promise<T> {
  await connection.executeQuery(CompiledQuery.raw(begin, []));
  try {
    const result = await work(queries(connection));
    await connection.executeQuery(CompiledQuery.raw('commit', []));
    return result;
  } catch (error) {
    await connection.executeQuery(CompiledQuery.raw('rollback', [])).catch(() => {});
    throw error;
  }
}

/** The IngestStore over one database, its transactions run the dialect's way. */
export function ingestQueries(
  db: Kysely<Database>,
  hooks: Pick<DialectHooks, 'name' | 'writeConcurrency' | 'durableTransaction' | 'errors' | 'ingestBegin' | 'batchParameter'>,
): IngestStore {
  const statements = batchStatements(hooks.name);
  const queries = (connection: Kysely<Database>) => new IngestTxQueries(connection, statements, hooks.batchParameter);
  return {
    writeConcurrency: hooks.writeConcurrency,

    async transaction<T>(work: (tx: IngestTx) => Promise<T>): Promise<T> {
      // Two processes touching the same users in different orders deadlock now and then; the
      // database aborts one of them whole, so running it again is safe and usually succeeds.
      // So is a batch that found another process's rows where it meant to write its own.
      for (let attempt = 1; ; attempt++) {
        try {
          const run = (kysely: Kysely<Database>) => kysely.connection().execute((connection) => inTransaction(connection, hooks.ingestBegin ?? 'begin', queries, work));
          return await (hooks.durableTransaction ? hooks.durableTransaction(db, run) : run(db));
        } catch (error) {
          const conflict = error instanceof ConcurrentWriteError || hooks.errors.isRolledBackConflict(error);
          if (attempt >= CONFLICT_ATTEMPTS || !conflict) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
        }
      }
    },

    async getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined> {
      return db.selectFrom('touchpoints').selectAll().where('touchpoint_id', '=', touchpointId).executeTakeFirst();
    },

    async findIdempotencyKey(appId: string, key: string, since: number): Promise<string | undefined> {
      const row = await db
        .selectFrom('idempotency_keys')
        .select('record_id')
        .where('app_id', '=', appId)
        .where('idem_key', '=', key)
        .where('created_at', '>=', since)
        .executeTakeFirst();
      return row?.record_id;
    },

    async getInstallByUser(appId: string, identity: Identity): Promise<InstallRow | undefined> {
      return db
        .selectFrom('installs')
        .innerJoin('user_identities', 'user_identities.user_pk', 'installs.user_pk')
        .select(INSTALL_COLUMNS.map((c) => `installs.${c}` as const))
        .where('user_identities.app_id', '=', appId)
        .where('user_identities.kind', '=', identity.kind)
        .where('user_identities.value', '=', identity.value)
        .where('installs.kind', '=', 'install')
        .executeTakeFirst();
    },

    async listInstalls(appId: string): Promise<InstallRow[]> {
      return db.selectFrom('installs').select(INSTALL_COLUMNS).where('app_id', '=', appId).orderBy('installed_at').orderBy('install_id').execute();
    },

    async listEvents(appId: string): Promise<EventRow[]> {
      return db.selectFrom('events').selectAll().where('app_id', '=', appId).orderBy('occurred_at').orderBy('event_pk').execute();
    },
  };
}

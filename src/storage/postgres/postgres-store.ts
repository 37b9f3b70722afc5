import { Kysely, PostgresDialect, sql } from 'kysely';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { composeStore, type KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import { POSTGRES_ERRORS } from './errors.js';
import { MONTHLY_PARTITIONS } from './partitions.js';

export interface PostgresOptions {
  url: string;
  /** A schema of its own (created on migrate), e.g. one per test run; default `public`. */
  schema?: string | undefined;
  poolSize?: number;
  /** Called with every statement's SQL as it is sent (storage/db.ts StoreOptions). */
  onStatement?: ((sql: string) => void) | undefined;
}

const INT8_OID = 20;

// Epoch milliseconds fit a double exactly until the year 287396, so BIGINT columns are read
// back as numbers, making rows look as they do from SQLite.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
};

/** Statements worth keeping prepared: the queries, not DDL (which cannot be prepared with values). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * Sends each query as a named prepared statement, so PostgreSQL parses and plans it once per
 * connection instead of on every call (Kysely sends unnamed statements). The name is a hash of
 * the SQL text, which repeats because values are bound (and the batch statements' text never
 * changes, see batch-sql.ts); pg keeps the names it has prepared on each connection.
 */
function prepareNamedStatements(client: pg.PoolClient, onStatement?: (sql: string) => void): void {
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  // A prepared `SELECT *` whose table gained a column (a newer version migrated while this one
  // runs) fails with 0A000 "cached plan must not change result type" for as long as the
  // connection lives; such a statement goes back to being sent unnamed.
  const stale = new Set<string>();
  (client as unknown as { query: (...args: unknown[]) => unknown }).query = (text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text === 'string') onStatement?.(text);
    if (typeof text === 'string' && Array.isArray(values) && callback === undefined && PREPARABLE.test(text)) {
      const name = `s2s_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
      if (!stale.has(name)) {
        return query({ name, text, values }).catch(async (error: unknown) => {
          if ((error as { code?: string }).code !== '0A000') throw error;
          stale.add(name);
          // Outside a transaction the unnamed retry answers; inside one, the transaction is
          // already aborted, so the first error stands (the write queue retries the records).
          return query(text, values).catch(() => Promise.reject(error));
        });
      }
    }
    return query(text, values, callback);
  };
}

/** PostgreSQL through a pg pool; any number of server processes may share the database. */
export function openPostgresStore(options: PostgresOptions): KyselyStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    types: types as pg.CustomTypesConfig,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    connectionTimeoutMillis: 5000,
  });
  // An idle client losing its connection (database restart) must not crash the process;
  // the pool drops it and the next query opens a fresh one.
  pool.on('error', () => {});
  // A client checked out of the pool (mid-transaction) emits 'error' on its own when the
  // connection drops, and an unheard 'error' event kills the process. Its next query fails
  // instead, which the request turns into a 503.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    prepareNamedStatements(client, options.onStatement);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return composeStore(db, {
    name: 'postgres',
    // Leaves pool connections free for reads while batches commit in parallel.
    skipLocked: true,
    partitions: MONTHLY_PARTITIONS,
    errors: POSTGRES_ERRORS,
    // Fewer, larger batches: each costs a round trip per statement, and two in flight per
    // process kept PostgreSQL's CPU per record lower than four (docs/performance.md).
    writeConcurrency: 2,
    // SET LOCAL: for the ingest transaction only (dialect.ts). JIT is off too, as a plan
    // costed without seq scans can look expensive enough to be compiled, which costs ms.
    ingestBegin: 'begin; set local enable_seqscan = off; set local enable_hashjoin = off; set local enable_mergejoin = off; set local jit = off',
    migrationSchema: options.schema,
    prepare: async (kdb) => {
      if (options.schema) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(kdb);
    },
    close: async () => {},
  });
}

import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';

export interface PostgresOptions {
  url: string;
  /** A schema of its own (created on migrate), e.g. one per test run; default `public`. */
  schema?: string | undefined;
  poolSize?: number;
}

const INT8_OID = 20;

// Epoch milliseconds fit a double exactly until the year 287396, so BIGINT columns are read
// back as numbers, making rows look as they do from SQLite.
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format),
};

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
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStore(db, {
    name: 'postgres',
    // Leaves pool connections free for reads while batches commit in parallel.
    skipLocked: true,
    partitioned: true,
    writeConcurrency: 4,
    migrationSchema: options.schema,
    prepare: async (kdb) => {
      if (options.schema) await sql`create schema if not exists ${sql.id(options.schema)}`.execute(kdb);
    },
    close: async () => {},
  });
}

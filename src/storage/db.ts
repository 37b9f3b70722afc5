import type { Config } from '../config.js';
import { databaseErrorCode, type DialectErrors } from './dialect.js';
import { POSTGRES_ERRORS } from './postgres/errors.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { SQLITE_ERRORS } from './sqlite/errors.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import { ConcurrentWriteError, type Store } from './store.js';

export { databaseErrorCode };

export interface StoreOptions {
  /** Called with the SQL of every statement the store sends, as it sends it (tests count them). */
  onStatement?: ((sql: string) => void) | undefined;
}

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite. */
export function openStore(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir' | 'sqliteSynchronous'>, options: StoreOptions = {}): Store {
  if (config.databaseUrl !== undefined) {
    return openPostgresStore({ url: config.databaseUrl, schema: config.databaseSchema, onStatement: options.onStatement });
  }
  return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous, onStatement: options.onStatement });
}

/** Where the data lives, for a log line: never the password of a URL. */
export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): string {
  if (config.databaseUrl === undefined) return `sqlite:${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  url.password = '';
  return `${url.protocol}//${url.host}${url.pathname}${config.databaseSchema ? ` schema=${config.databaseSchema}` : ''}`;
}

/** Every dialect's reading of errors: an error carries the codes of the database that raised it. */
const DIALECT_ERRORS: readonly DialectErrors[] = [SQLITE_ERRORS, POSTGRES_ERRORS];

/**
 * True for a database error that says "try again later" rather than "this request is wrong":
 * answered 503 so that senders retry, as seed 003 tells them to.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  // A batch that kept meeting another process's rows (it is run again a few times first):
  // contention, so the sender retries later, and no outage.
  if (error instanceof ConcurrentWriteError) return true;
  return error instanceof Error && DIALECT_ERRORS.some((errors) => errors.isTransient(error));
}

/**
 * A transient error that says "this database cannot write now" (down, disk full, read-only,
 * I/O error), not contention (a deadlock, a serialization failure, a lock held past
 * busy_timeout): a batch that lost a deadlock is retried record by record as before, while an
 * outage fails the batch at once and fails /readyz until a commit succeeds.
 */
export function isDatabaseOutage(error: unknown): boolean {
  if (!isTransientDatabaseError(error) || error instanceof ConcurrentWriteError) return false;
  const code = databaseErrorCode(error);
  return code === undefined || !DIALECT_ERRORS.some((errors) => errors.isContention(code));
}

/** A query on a database without the tables: one `s2s migrate` never made. */
export function isMissingTableError(error: unknown): boolean {
  return error instanceof Error && DIALECT_ERRORS.some((errors) => errors.isMissingTable(error));
}

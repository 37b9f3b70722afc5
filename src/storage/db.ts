import type { Config } from '../config.js';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the database the configuration names: PostgreSQL when DATABASE_URL is set, else SQLite. */
export function openStore(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir' | 'sqliteSynchronous'>): Store {
  if (config.databaseUrl !== undefined) {
    return openPostgresStore({ url: config.databaseUrl, schema: config.databaseSchema });
  }
  return openSqliteStore({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous });
}

/** Where the data lives, for a log line: never the password of a URL. */
export function describeDatabase(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): string {
  if (config.databaseUrl === undefined) return `sqlite:${config.dataDir}`;
  const url = new URL(config.databaseUrl);
  url.password = '';
  return `${url.protocol}//${url.host}${url.pathname}${config.databaseSchema ? ` schema=${config.databaseSchema}` : ''}`;
}

const TRANSIENT_CODES = new Set([
  // Node socket errors: the database host is down or unreachable.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  // Node file errors (the SQLite WAL flush, wal-sync.ts): disk full, I/O error, read-only.
  'ENOSPC',
  'EDQUOT',
  'EIO',
  'EROFS',
  // PostgreSQL: shutting down, starting up, connection failures, too many clients, serialization.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '40001',
  '40P01',
  // PostgreSQL: disk full, out of memory, I/O error, a read-only (standby) server.
  '53100',
  '53200',
  '58030',
  '25006',
]);

/**
 * SQLite's primary codes that mean "the database cannot write now": locked beyond
 * busy_timeout, disk full, I/O error, read-only file or directory. better-sqlite3 reports
 * extended codes (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DBMOVED`), which count as their primary.
 */
const TRANSIENT_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY']);

/**
 * True for a database error that says "try again later" rather than "this request is wrong":
 * answered 503 so that senders retry, as seed 003 tells them to.
 */
export function isTransientDatabaseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (TRANSIENT_CODES.has(code)) return true;
    if (code.startsWith('SQLITE_') && TRANSIENT_SQLITE.has(code.split('_', 2).join('_'))) return true;
  }
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i.test(
    error.message,
  );
}

/** Contention, not an outage: another writer won this time (a deadlock, a serialization failure, a lock held past busy_timeout). */
const CONTENTION_CODES = new Set(['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * A transient error that says "this database cannot write now" (down, disk full, read-only,
 * I/O error), not contention: a batch that lost a deadlock is retried record by record as
 * before, while an outage fails the batch at once and fails /readyz until a commit succeeds.
 */
export function isDatabaseOutage(error: unknown): boolean {
  if (!isTransientDatabaseError(error)) return false;
  const code = databaseErrorCode(error);
  return code === undefined || !CONTENTION_CODES.has(code.startsWith('SQLITE_') ? code.split('_', 2).join('_') : code);
}

/** The code a database error carries (`SQLITE_FULL`, `57P01`, `ECONNREFUSED`), for logs. */
export function databaseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

import { databaseErrorCode, type DialectErrors } from '../dialect.js';

const TRANSIENT_CODES = new Set([
  // Node socket errors: the database host is down or unreachable.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  // Shutting down, starting up, connection failures, too many clients, serialization.
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
  // Disk full, out of memory, I/O error, a read-only (standby) server.
  '53100',
  '53200',
  '58030',
  '25006',
]);

/** What pg says, without a code, when the connection goes or cannot be made. */
const TRANSIENT_MESSAGE =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/**
 * serialization_failure and deadlock_detected: another writer won (contention, not an outage),
 * and the transaction was rolled back whole, so running it again is safe.
 */
const CONFLICT_CODES = new Set(['40001', '40P01']);

/** What PostgreSQL's SQLSTATE codes (and pg's connection errors) mean. */
export const POSTGRES_ERRORS: DialectErrors = {
  isTransient: (error) => TRANSIENT_CODES.has(databaseErrorCode(error) ?? '') || TRANSIENT_MESSAGE.test(error.message),
  isContention: (code) => CONFLICT_CODES.has(code),
  isRolledBackConflict: (error) => CONFLICT_CODES.has(databaseErrorCode(error) ?? ''),
  isConcurrentCatalogChange(error) {
    const code = databaseErrorCode(error);
    // 42P01 a table, 42703 a column (the listing reads every table's columns), 3F000 a whole
    // schema (our own exists: prepare created it before); XX000 "cache lookup failed" while the
    // catalog changes under a query.
    return code === '42P01' || code === '42703' || code === '3F000' || (code === 'XX000' && /cache lookup failed/.test(String((error as Error).message)));
  },
  isMissingTable: (error) => databaseErrorCode(error) === '42P01',
};

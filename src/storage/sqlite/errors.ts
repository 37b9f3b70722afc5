import { databaseErrorCode, type DialectErrors } from '../dialect.js';

/**
 * SQLite's primary codes that mean "the database cannot write now": locked beyond
 * busy_timeout, disk full, I/O error, read-only file or directory. better-sqlite3 reports
 * extended codes (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DBMOVED`), which count as their primary.
 */
const TRANSIENT_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY']);

/** Node's file errors from the WAL flush (wal-sync.ts): disk full, I/O error, read-only. */
const TRANSIENT_FILE = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS']);

/** A lock held past busy_timeout: another writer, not an outage. */
const CONTENTION_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/** `SQLITE_IOERR_WRITE` → `SQLITE_IOERR`; any other code as it is. */
function primaryCode(code: string): string {
  return code.startsWith('SQLITE_') ? code.split('_', 2).join('_') : code;
}

/** What SQLite's result codes (and the WAL flush's file errors) mean. */
export const SQLITE_ERRORS: DialectErrors = {
  isTransient(error) {
    const code = databaseErrorCode(error);
    if (code === undefined) return false;
    return TRANSIENT_FILE.has(code) || (code.startsWith('SQLITE_') && TRANSIENT_SQLITE.has(primaryCode(code)));
  },
  isContention: (code) => CONTENTION_SQLITE.has(primaryCode(code)),
  // One writer: a transaction never loses a deadlock. SQLITE_BUSY has already waited out
  // busy_timeout, and is answered (503), not run again.
  isRolledBackConflict: () => false,
  // One file, one schema: nobody else's DDL runs under a query.
  isConcurrentCatalogChange: () => false,
  isMissingTable: (error) => /no such table/.test(error.message),
};

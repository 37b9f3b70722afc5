import { describe, expect, it } from 'vitest';
import { isDatabaseOutage, isTransientDatabaseError } from '../../../src/storage/db.js';
import { ConcurrentWriteError } from '../../../src/storage/store.js';

describe('what counts as an outage (isTransientDatabaseError)', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

  it('takes a full disk, a read-only database, I/O errors and lost connections, with their extended codes', () => {
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED_SHAREDCACHE', 'ENOSPC', 'EIO', 'EROFS', 'ECONNRESET', '57P01', '53100', '58030', '25006', '08006']) {
      expect(isTransientDatabaseError(coded(code)), code).toBe(true);
    }
    expect(isTransientDatabaseError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('leaves out errors that say the request or the code is wrong', () => {
    for (const code of ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_ERROR', 'SQLITE_MISMATCH', '23505', '42P01', '22P02']) {
      expect(isTransientDatabaseError(coded(code)), code).toBe(false);
    }
    expect(isTransientDatabaseError(new Error('cannot rollback - no transaction is active'))).toBe(false);
  });

  it('tells contention (a deadlock, a busy database: retried record by record) from an outage (the batch fails at once, /readyz fails)', () => {
    for (const code of ['40001', '40P01', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED_SHAREDCACHE']) {
      expect(isTransientDatabaseError(coded(code)), code).toBe(true);
      expect(isDatabaseOutage(coded(code)), code).toBe(false);
    }
    for (const code of ['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_READONLY', 'ENOSPC', 'ECONNREFUSED', '57P01', '53100', '25006']) {
      expect(isDatabaseOutage(coded(code)), code).toBe(true);
    }
    expect(isDatabaseOutage(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseOutage(coded('23505'))).toBe(false);
    // A batch that kept meeting another process's rows: retry later, no outage.
    expect(isTransientDatabaseError(new ConcurrentWriteError('a user identity'))).toBe(true);
    expect(isDatabaseOutage(new ConcurrentWriteError('a user identity'))).toBe(false);
  });
});

import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { sqliteBatchTables } from '../batch-sql.js';
import type { BatchParameter, HistoryPartitions } from '../dialect.js';
import { composeStore, type KyselyStore } from '../kysely-store.js';
import { SQLITE_ERRORS } from './errors.js';
import { StatementProfile } from './statement-profile.js';
import { WalSync } from './wal-sync.js';
import type { Database } from '../schema.js';

export interface SqliteOptions {
  /** Directory holding `s2s.sqlite` (and its WAL); created if missing. */
  dataDir: string;
  synchronous: 'FULL' | 'NORMAL';
  /** How the WAL is flushed after an ingest commit (FULL); tests stand in for it. */
  flushWal?: (handle: FileHandle) => Promise<void>;
  /** Called with every statement's SQL as it runs (storage/db.ts StoreOptions). */
  onStatement?: ((sql: string) => void) | undefined;
}

export const SQLITE_FILE = 's2s.sqlite';

const STATEMENT_CACHE_SIZE = 500;

/**
 * `wal_autocheckpoint`: WAL pages written before a commit copies them into the database file.
 * SQLite's 1 000 made checkpoints (two fsyncs each, on the event loop) about a third of every
 * ingest commit; 4 000 (a WAL of up to ~16 MB) cut commits by 30-40 %. 10 000 did as well for
 * commits but slowed `s2s import` by a third (docs/performance.md).
 */
const CHECKPOINT_PAGES = 4000;

/**
 * Group-commit batches in flight with `synchronous = FULL` (wal-sync.ts). Where a flush, not
 * the CPU, is what answers wait for (`/measure`'s large batches), a flush covers every batch
 * committed before it starts, so more batches waiting means fewer flushes per record: 8 against
 * 2 measured 26–29k against 21–23k records/s on `/measure` (4 and 16 measured like 8;
 * docs/performance.md, Findings).
 */
const SQLITE_BATCHES_IN_FLIGHT = 8;

/** SQLite has no partitions: `s2s prune` deletes old history row by row. */
const UNPARTITIONED: HistoryPartitions = {
  ensure: async () => [],
  dropBefore: async () => [],
  rowsTable: (table) => table,
};

/**
 * Kysely prepares every query anew; preparing costs more than running the small queries of the
 * ingest path, so prepared statements are kept by SQL text (queries bind their values, so the
 * text repeats). Each statement runs to completion before the next, so reuse is safe.
 */
function statementCache(database: SqliteDatabase.Database, profile: StatementProfile | null, onStatement?: (sql: string) => void): (sql: string) => SqliteDatabase.Statement {
  const cache = new Map<string, SqliteDatabase.Statement>();
  // Kysely's driver asks for the statement each time it runs one.
  return (sql) => {
    onStatement?.(sql);
    let statement = cache.get(sql);
    if (!statement) {
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      statement = database.prepare(sql);
      if (profile) statement = profile.wrap(sql, statement);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * Kysely's SQLite dialect, but for its ROLLBACK after a failed transaction. A full disk or an
 * I/O error during a statement or the COMMIT makes SQLite roll the transaction back itself;
 * Kysely's ROLLBACK then failed with "cannot rollback - no transaction is active", and that
 * error replaced the real one (SQLITE_FULL), which is what makes the failure an outage (503)
 * rather than a bug (500), and what the write queue judges whether to fail a batch at once by.
 */
class SqliteKeepingCauseDialect extends SqliteDialect {
  constructor(
    private readonly config: SqliteDialectConfig,
    private readonly database: SqliteDatabase.Database,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    const database = this.database;
    return new (class extends SqliteDriver {
      override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
        if (database.inTransaction) await super.rollbackTransaction(connection);
      }
    })(this.config);
  }
}

/**
 * Registers the batch statements' tables (batch-sql.ts, SqliteBatchTable) on the connection:
 * each yields, in its columns' order, the rows handed over under the handle it is called with.
 * Returns how a batch statement's rows become its parameter: a handle, released once it ran.
 */
function registerBatchTables(database: SqliteDatabase.Database): (rows: readonly object[]) => BatchParameter {
  const handed = new Map<number, readonly object[]>();
  let last = 0;
  for (const table of sqliteBatchTables()) {
    const columns = table.columns;
    database.table(table.name, {
      columns,
      parameters: ['handle'],
      *rows(handle: unknown) {
        for (const row of handed.get(Number(handle)) ?? []) yield columns.map((c) => sqliteValue((row as Record<string, unknown>)[c]));
      },
    });
  }
  return (rows) => {
    const handle = ++last;
    handed.set(handle, rows);
    return { value: handle, release: () => handed.delete(handle) };
  };
}

/** A row field as SQLite takes it: absent is NULL, a boolean 0 or 1, an object its JSON, as PostgreSQL's JSON parameter has it. */
function sqliteValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'object') return JSON.stringify(value);
  return value;
}

/** The embedded default: one better-sqlite3 connection in WAL mode. */
export function openSqliteStore(options: SqliteOptions): KyselyStore {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const file = path.join(options.dataDir, SQLITE_FILE);
  const database = new SqliteDatabase(file);
  // WAL lets readers (the CLI, reports) run beside the one writer; busy_timeout makes a CLI
  // command wait for the server's commit instead of failing with SQLITE_BUSY.
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous}`);
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Deleted content is overwritten where that costs no extra I/O; an erasure overwrites it all
  // (eraseSecurely below).
  database.pragma('secure_delete = FAST');
  // A checkpoint copies the WAL into the database file and fsyncs both, inside the commit
  // that crossed the threshold (on the event loop). Fewer, larger ones cost less per page.
  database.pragma(`wal_autocheckpoint = ${CHECKPOINT_PAGES}`);
  const batchParameter = registerBatchTables(database);
  const prepare = statementCache(database, process.env.S2S_SQL_PROFILE ? StatementProfile.untilExit() : null, options.onStatement);
  const adapter = { close: () => database.close(), prepare } as unknown as SqliteDialectConfig['database'];
  const db = new Kysely<Database>({ dialect: new SqliteKeepingCauseDialect({ database: adapter }, database) });
  const walSync = options.synchronous === 'FULL' ? new WalSync(`${file}-wal`, options.flushWal) : null;
  return composeStore(db, {
    // FULL without stopping the server for fsync (wal-sync.ts): the transaction commits with
    // NORMAL on the connection it holds (no other statement can run on it meanwhile), and is
    // answered once the WAL is flushed. Every other write keeps FULL.
    durableTransaction: walSync
      ? async (kysely, run) => {
          const result = await kysely.connection().execute(async (connection) => {
            database.pragma('synchronous = NORMAL');
            try {
              return await run(connection);
            } finally {
              if (!database.inTransaction) database.pragma('synchronous = FULL');
            }
          });
          await walSync.sync();
          return result;
        }
      : undefined,
    // On the connection it holds, so that no other transaction runs between the three steps.
    eraseSecurely: (kysely, run) =>
      kysely.connection().execute(async (connection) => {
        database.pragma('secure_delete = ON');
        try {
          const result = await run(connection);
          // The WAL holds the erased rows' pages as they were until it is checkpointed and
          // emptied, which waits for other processes' readers (the CLI beside a server).
          for (let attempt = 0; ; attempt++) {
            const [state] = database.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
            if (!state?.busy) break;
            if (attempt === 40) throw new Error('database: the WAL could not be emptied after an erasure (another process keeps reading); run the erasure again');
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          return result;
        } finally {
          database.pragma('secure_delete = FAST');
        }
      }),
    name: 'sqlite',
    batchParameter,
    skipLocked: false,
    partitions: UNPARTITIONED,
    errors: SQLITE_ERRORS,
    // Batches run on the one connection one at a time; the rest of this bound is batches
    // committed and waiting for a WAL flush, which one fdatasync covers together.
    writeConcurrency: walSync ? SQLITE_BATCHES_IN_FLIGHT : 1,
    prepare: async () => {},
    close: async () => {
      await walSync?.close();
    },
  });
}

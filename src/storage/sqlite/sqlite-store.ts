import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDialectConfig } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';

export interface SqliteOptions {
  /** Directory holding `s2s.sqlite` (and its WAL); created if missing. */
  dataDir: string;
  synchronous: 'FULL' | 'NORMAL';
}

export const SQLITE_FILE = 's2s.sqlite';

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; preparing costs more than running the small queries of the
 * ingest path, so prepared statements are kept by SQL text (queries bind their values, so the
 * text repeats). Kysely runs each statement to completion before the next, so reuse is safe.
 */
function withStatementCache(database: SqliteDatabase.Database): SqliteDialectConfig['database'] {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare: (sql: string) => {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        statement = database.prepare(sql);
        cache.set(sql, statement);
      }
      return statement;
    },
  } as SqliteDialectConfig['database'];
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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return new KyselyStore(db, {
    name: 'sqlite',
    skipLocked: false,
    partitioned: false,
    writeConcurrency: 1,
    prepare: async () => {},
    close: async () => {},
  });
}

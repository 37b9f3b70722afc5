import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';

export interface SqliteOptions {
  /** Directory holding `s2s.sqlite` (and its WAL); created if missing. */
  dataDir: string;
  synchronous: 'FULL' | 'NORMAL';
}

export const SQLITE_FILE = 's2s.sqlite';

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
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return new KyselyStore(db, {
    name: 'sqlite',
    skipLocked: false,
    writeConcurrency: 1,
    prepare: async () => {},
    close: async () => {},
  });
}

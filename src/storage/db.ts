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

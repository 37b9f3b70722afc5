import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.js';
import { openStore } from '../../src/storage/db.js';
import type { Store } from '../../src/storage/store.js';

/**
 * Every storage-touching test runs once per backend, as Kysely's own tests loop over their
 * dialects. The PostgreSQL run uses TEST_DATABASE_URL in a schema of its own, dropped after,
 * so parallel runs never collide. Set S2S_TEST_BACKENDS=sqlite to run without PostgreSQL.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestBackend {
  name: 'sqlite' | 'postgres';
  /** Environment that points the server and the CLI at a fresh, empty database. */
  env(): Record<string, string>;
  /** Drops what env() created. */
  cleanup(env: Record<string, string>): Promise<void>;
}

const sqlite: TestBackend = {
  name: 'sqlite',
  env: () => ({ DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 's2s-test-')) }),
  cleanup: async (env) => fs.rmSync(env.DATA_DIR!, { recursive: true, force: true }),
};

const postgres: TestBackend = {
  name: 'postgres',
  env: () => ({
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: `s2s_test_${randomBytes(6).toString('hex')}`,
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 's2s-test-')),
  }),
  cleanup: async (env) => {
    fs.rmSync(env.DATA_DIR!, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists "${env.DATABASE_SCHEMA}" cascade`);
    } finally {
      await client.end();
    }
  },
};

const selected = (process.env.S2S_TEST_BACKENDS ?? 'sqlite,postgres').split(',').map((s) => s.trim());
export const BACKENDS: TestBackend[] = [sqlite, postgres].filter((b) => selected.includes(b.name));

export interface TestDatabase {
  env: Record<string, string>;
  config: Config;
  store: Store;
  /** Closes the store and drops the database. */
  dispose(): Promise<void>;
}

/** A fresh, migrated database on the given backend, with a Config pointing at it. */
export async function openTestDatabase(backend: TestBackend, extraEnv: Record<string, string> = {}): Promise<TestDatabase> {
  const env = { ...backend.env(), LOG_LEVEL: 'silent', ...extraEnv };
  const config = loadConfig(env);
  // As `s2s serve` opens it.
  const store = openStore(config);
  await store.migrate();
  return {
    env,
    config,
    store,
    dispose: async () => {
      await store.close();
      await backend.cleanup(env);
    },
  };
}

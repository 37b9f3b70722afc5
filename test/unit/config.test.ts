import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('config', () => {
  it('defaults to 0.0.0.0:8080 with SQLite under ./data', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', databaseUrl: undefined, adminToken: undefined, bodyLimitBytes: 65536 });
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.publicUrl).toBe('http://localhost:8080');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { PORT: '9000', HOST: '127.0.0.1', DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://u@h/db', S2S_PUBLIC_URL: 'https://t.example.com/' };
    expect(loadConfig(env)).toMatchObject({ port: 9000, host: '127.0.0.1', dataDir: '/tmp/x', databaseUrl: 'postgres://u@h/db', publicUrl: 'https://t.example.com' });
    expect(loadConfig(env, { port: 1234, host: '::1' })).toMatchObject({ port: 1234, host: '::1' });
  });

  it('runs one worker on SQLite and one per core on PostgreSQL unless told', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).workers).toBe(os.availableParallelism());
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', S2S_WORKERS: '3' }).workers).toBe(3);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }, { workers: 2 }).workers).toBe(2);
    expect(() => loadConfig({ S2S_WORKERS: '2' })).toThrow(ConfigError);
  });

  it('refuses a removed setting that asks for a removed mode, naming it and what replaced it', () => {
    expect(() => loadConfig({ S2S_INGEST_JOURNAL: 'on' })).toThrow('S2S_INGEST_JOURNAL=on is no longer a setting: the ingest journal was removed');
    expect(() => loadConfig({ S2S_SQLITE_CHECKPOINT_PAGES: '1000' })).toThrow('S2S_SQLITE_CHECKPOINT_PAGES=1000 is no longer a setting');
    expect(() => loadConfig({ S2S_HEAP_GROWTH_PERCENT: '50' })).toThrow('--heap-growing-percent=20');
    expect(() => loadConfig({ S2S_SQLITE_WRITER_THREAD: 'on' })).toThrow(ConfigError);
  });

  it('accepts a removed setting whose value is what the server does anyway, so an old environment still starts', () => {
    const old = { S2S_INGEST_JOURNAL: 'off', S2S_INGEST_JOURNAL_MAX: '1000000', S2S_SQLITE_CHECKPOINT_PAGES: '4000', S2S_HEAP_GROWTH_PERCENT: '20', S2S_SQLITE_WRITER_THREAD: 'off' };
    expect(loadConfig(old).port).toBe(8080);
  });

  it('refuses bad values naming the variable', () => {
    const bad: [Record<string, string>, string][] = [
      [{ PORT: 'http' }, 'PORT must be a whole number'],
      [{ PORT: '70000' }, 'PORT must be between 0 and 65535'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must start with postgres://'],
      [{ DATABASE_SCHEMA: 'Robert"; drop' }, 'DATABASE_SCHEMA must be a lowercase SQL identifier'],
      [{ S2S_BODY_LIMIT: '10' }, 'S2S_BODY_LIMIT must be between'],
      [{ S2S_SQLITE_SYNCHRONOUS: 'OFF' }, 'S2S_SQLITE_SYNCHRONOUS must be FULL or NORMAL'],
      [{ S2S_PUBLIC_URL: 'track.example.com' }, 'S2S_PUBLIC_URL must be an http(s) URL'],
    ];
    for (const [env, message] of bad) {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
    }
  });
});

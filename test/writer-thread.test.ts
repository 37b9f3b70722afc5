import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { openSqliteWriterThread, type ThreadedStore } from '../src/ingest/writer-thread.js';
import { openSqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { isTransientDatabaseError } from '../src/storage/db.js';
import { SQLITE_WRITER_THREAD } from './helpers/backends.js';
import { call, startTestServer, type TestServer } from './helpers/server.js';

describe('the SQLite writer thread', () => {
  describe('as a store', () => {
    let dataDir: string;
    let store: ThreadedStore;

    beforeAll(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-thread-'));
      store = await openSqliteWriterThread({ dataDir, synchronous: 'FULL' });
      await store.migrate();
    });
    afterAll(async () => {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it('forwards store calls and returns their rows as they are', async () => {
      expect(store.dialect).toBe('sqlite');
      const app = await store.createApp({ name: 'Gems', platform: 'android', store: 'google_play', store_url: null });
      expect(await store.getApp(app.app_id)).toEqual(app);
      expect((await store.listApps()).map((a) => a.app_id)).toEqual([app.app_id]);
      expect(await store.getApp('no-such-app')).toBeUndefined();
    });

    it('keeps an AppError an AppError, with its status, across the thread', async () => {
      const app = await store.createApp({ name: 'Errs', platform: 'android', store: 'google_play', store_url: null });
      const conversion = { app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: {}, clickIds: [], viewIds: [] };
      const error = await store.commitBatch([{ kind: 'conversion', conversion }], { postbacks: new Map(), rates: new Map(), retryTtlMs: 0 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({ status: 400, message: expect.stringMatching(/^user_id: /) });
    });

    it("keeps a database error's code, so that a busy database still answers 503", async () => {
      // Another connection holds the write lock past busy_timeout: SQLITE_BUSY on this side.
      const other = new SqliteDatabase(path.join(dataDir, 's2s.sqlite'));
      other.pragma('busy_timeout = 0');
      other.exec('begin immediate');
      try {
        const started = Date.now();
        const error = await store.setRate('EUR', 1.1).catch((e: unknown) => e);
        expect(Date.now() - started).toBeGreaterThanOrEqual(4000); // the thread's busy_timeout waited
        expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
        expect(isTransientDatabaseError(error)).toBe(true);
      } finally {
        other.exec('rollback');
        other.close();
      }
      await store.setRate('EUR', 1.1);
      expect((await store.listRates()).find((r) => r.currency === 'EUR')?.usd_per_unit).toBe(1.1);
    }, 15_000);

    it('refuses transaction(): a callback cannot cross threads', async () => {
      await expect(store.transaction(async () => 1)).rejects.toThrow(/writer thread/);
    });
  });

  it('ends its thread on close, and refuses calls after', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-thread-'));
    const store = await openSqliteWriterThread({ dataDir, synchronous: 'FULL' });
    await store.migrate();
    await store.close();
    await expect(store.listApps()).rejects.toThrow(/writer thread stopped/);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('reports a database it cannot open instead of hanging', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 's2s-thread-')), 'not-a-dir');
    fs.writeFileSync(file, 'x');
    await expect(openSqliteWriterThread({ dataDir: file, synchronous: 'FULL' })).rejects.toThrow(/EEXIST|ENOTDIR|not a directory|file already exists/);
  });

  describe('behind the HTTP server', () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(SQLITE_WRITER_THREAD, { LOG_LEVEL: 'warn' });
    });
    afterAll(async () => {
      await server.close();
    });

    it('attributes an open to the click before it, and the rows are there for another connection', async () => {
      const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'android' } })).body;
      await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
      const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'Launch' } })).body;
      const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
      const click = await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaign.campaign_id, gaid: 'thread-1', no_redirect: 'true' })}`);
      expect(click.status).toBe(200);
      // A burst, so that batches hold several records.
      const opens = await Promise.all(
        Array.from({ length: 40 }, (_, i) => call(`${server.url}/api/v2/open`, { body: { token, app_id: app.app_id, gaid: i === 0 ? 'thread-1' : `thread-other-${i}` } })),
      );
      expect(opens.map((r) => r.status)).toEqual(Array(40).fill(200));
      const reader = openSqliteStore({ dataDir: server.db.config.dataDir, synchronous: 'FULL' });
      try {
        expect(await reader.getInstallByUser(app.app_id, { kind: 'gaid', value: 'thread-1' })).toMatchObject({ status: 'attributed', campaign_id: campaign.campaign_id });
        expect(await reader.listInstalls(app.app_id)).toHaveLength(40);
      } finally {
        await reader.close();
      }
    });
  });
});

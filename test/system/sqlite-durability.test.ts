import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import SqliteDatabase from 'better-sqlite3';
import type { FileHandle } from 'node:fs/promises';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { newId } from '../../src/domain/ids.js';
import { applyBatch } from '../../src/ingest/apply-batch.js';
import type { WriteOp, WriteOutcome } from '../../src/ingest/records.js';
import { WriteQueue } from '../../src/ingest/write-queue.js';
import { createLogger } from '../../src/logger.js';
import { openSqliteStore, SQLITE_FILE } from '../../src/storage/sqlite/sqlite-store.js';
import { WalSync } from '../../src/storage/sqlite/wal-sync.js';
import { touchpoint } from '../helpers/fixtures.js';

/** A stand-in for fdatasync that finishes when the test says so, and counts its calls. */
function gatedFlush() {
  const waiting: (() => void)[] = [];
  let failNext: Error | null = null;
  return {
    calls: 0,
    get waiting() {
      return waiting.length;
    },
    flush(this: { calls: number }, _handle: FileHandle): Promise<void> {
      this.calls++;
      const error = failNext;
      failNext = null;
      return new Promise<void>((resolve, reject) => waiting.push(() => (error ? reject(error) : resolve())));
    },
    release(): void {
      waiting.splice(0).forEach((done) => done());
    },
    failNextWith(error: Error): void {
      failNext = error;
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-durability-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('WalSync', () => {
  it('flushes once for every caller that arrived while a flush ran, and only after that flush', async () => {
    const file = path.join(tempDir(), 'x-wal');
    fs.writeFileSync(file, 'frames');
    const gate = gatedFlush();
    const sync = new WalSync(file, (h) => gate.flush(h));
    const done: string[] = [];
    const first = sync.sync().then(() => done.push('first'));
    await settle();
    // Two commits land while the first flush runs: it may have started before their frames
    // were written, so they wait for one more flush, shared.
    const second = sync.sync().then(() => done.push('second'));
    const third = sync.sync().then(() => done.push('third'));
    await settle();
    expect(gate.calls).toBe(1);
    gate.release();
    await first;
    await settle();
    expect(done).toEqual(['first']);
    expect(gate.calls).toBe(2);
    gate.release();
    await Promise.all([second, third]);
    expect(done).toEqual(['first', 'second', 'third']);
    // Idle again: the next caller starts a flush of its own.
    const fourth = sync.sync();
    await settle();
    expect(gate.calls).toBe(3);
    gate.release();
    await fourth;
    await sync.close();
  });

  it('fails the callers of a failed flush, and the next caller flushes again', async () => {
    const file = path.join(tempDir(), 'x-wal');
    fs.writeFileSync(file, 'frames');
    const gate = gatedFlush();
    const sync = new WalSync(file, (h) => gate.flush(h));
    gate.failNextWith(new Error('EIO'));
    const failed = sync.sync();
    await settle();
    gate.release();
    await expect(failed).rejects.toThrow('EIO');
    const next = sync.sync();
    await settle();
    gate.release();
    await next;
    expect(gate.calls).toBe(2);
    await sync.close();
  });
  it('has nothing to flush before SQLite has created the WAL', async () => {
    const gate = gatedFlush();
    const sync = new WalSync(path.join(tempDir(), 'absent-wal'), (h) => gate.flush(h));
    await sync.sync();
    expect(gate.calls).toBe(0);
    await sync.close();
  });
});

describe('SQLite durability (synchronous FULL)', () => {
  it('answers a transaction only once the WAL is flushed, while its rows are already committed', async () => {
    const dataDir = tempDir();
    const gate = gatedFlush();
    const store = openSqliteStore({ dataDir, synchronous: 'FULL', flushWal: (h) => gate.flush(h) });
    try {
      await store.migrate();
      const app = await store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
      // Writes outside an ingest transaction keep SQLite's own FULL: no extra flush.
      expect(gate.calls).toBe(0);

      const click = touchpoint(app.app_id, null, { touchpoint_id: newId() });
      let answered = false;
      const pending = store.transaction((tx) => tx.insertTouchpoints([click])).then(() => (answered = true));
      await settle();
      expect(gate.waiting).toBe(1);
      expect(answered).toBe(false);
      const reader = new SqliteDatabase(path.join(dataDir, SQLITE_FILE), { readonly: true });
      try {
        expect(reader.prepare('select count(*) as n from touchpoints where touchpoint_id = ?').get(click.touchpoint_id)).toEqual({ n: 1 });
      } finally {
        reader.close();
      }
      gate.release();
      await pending;
      expect(answered).toBe(true);
    } finally {
      gate.release();
      await store.close();
    }
  });

  it('does not flush on its own when synchronous is NORMAL (survives a process crash, not power loss)', async () => {
    const gate = gatedFlush();
    const store = openSqliteStore({ dataDir: tempDir(), synchronous: 'NORMAL', flushWal: (h) => gate.flush(h) });
    try {
      await store.migrate();
      const app = await store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
      await store.transaction((tx) => tx.insertTouchpoints([touchpoint(app.app_id, null)]));
      expect(gate.calls).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('keeps committing batches while a flush runs, and answers all of them with one more flush', async () => {
    const dataDir = tempDir();
    const gate = gatedFlush();
    const store = openSqliteStore({ dataDir, synchronous: 'FULL', flushWal: (h) => gate.flush(h) });
    const reader = new SqliteDatabase(path.join(dataDir, SQLITE_FILE), { readonly: true });
    try {
      await store.migrate();
      const app = await store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
      const queue = new WriteQueue<WriteOp, WriteOutcome>((ops) => applyBatch(store, ops), {
        batchDelayMs: 0,
        maxBatch: 500,
        maxQueue: 10_000,
        concurrency: store.writeConcurrency,
      });
      const count = () => (reader.prepare('select count(*) as n from touchpoints').get() as { n: number }).n;
      // Six waves of clicks, each sent once the one before is committed, while the first flush
      // is held: each wave is a batch of its own, committed and waiting for a flush.
      const answered: number[] = [];
      const waves: Promise<unknown>[] = [];
      for (let wave = 0; wave < 6; wave++) {
        const clicks = Array.from({ length: 10 }, () => touchpoint(app.app_id, null, { touchpoint_id: newId() }));
        waves.push(Promise.all(clicks.map((t) => queue.submit({ kind: 'touchpoint', touchpoint: t }))).then(() => answered.push(wave)));
        await expect.poll(count).toBe((wave + 1) * 10);
      }
      expect(gate.calls).toBe(1);
      expect(answered).toEqual([]);
      gate.release(); // the first flush covers the first wave only: it may have started before the others were written
      await waves[0];
      await expect.poll(() => gate.waiting).toBe(1);
      expect(answered).toEqual([0]);
      gate.release(); // one flush for the other five
      await Promise.all(waves);
      expect(gate.calls).toBe(2);
      await queue.close();
    } finally {
      gate.release();
      reader.close();
      await store.close();
    }
  });

  it('answers a click with 200 only after the flush that covers it', async () => {
    const dataDir = tempDir();
    const gate = gatedFlush();
    const store = openSqliteStore({ dataDir, synchronous: 'FULL', flushWal: (h) => gate.flush(h) });
    await store.migrate();
    const config = loadConfig({ DATA_DIR: dataDir, S2S_ADMIN_TOKEN: 'durability-admin-token-0123', LOG_LEVEL: 'silent' });
    const { app } = await buildApp(config, { store, logger: createLogger('silent') });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const created = await store.createApp({ name: 'A', platform: 'android', store: 'google_play', store_url: null });
      const campaign = await store.createCampaign({ app_id: created.app_id, network: 'unity', name: 'c', cpi: null, click_window_s: null, view_window_s: null, probabilistic_window_s: null });
      let status = 0;
      const response = fetch(`${url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&gaid=g-1`).then((r) => (status = r.status));
      await expect.poll(() => gate.waiting).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(status).toBe(0);
      gate.release();
      await response;
      expect(status).toBe(200);
    } finally {
      gate.release();
      await app.close();
      await store.close();
    }
  });
});

describe('SQLite checkpoints (every 4 000 WAL pages)', () => {
  /** The most frames the WAL has held: it is reused from its start after a checkpoint, never shrunk while open. */
  const walFrames = (dataDir: string) => Math.floor((fs.statSync(path.join(dataDir, `${SQLITE_FILE}-wal`)).size - 32) / (4096 + 24));

  async function fill(): Promise<number> {
    const dataDir = tempDir();
    const store = openSqliteStore({ dataDir, synchronous: 'FULL' });
    try {
      await store.migrate();
      const app = await store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
      // Random ids: every click dirties pages all over the primary key's B-tree.
      for (let i = 0; i < 60; i++) {
        await store.transaction((tx) => tx.insertTouchpoints(Array.from({ length: 50 }, () => touchpoint(app.app_id, null, { touchpoint_id: crypto.randomUUID() }))));
      }
      return walFrames(dataDir);
    } finally {
      await store.close();
    }
  }

  it('lets the WAL grow past SQLite\'s own 1 000 pages before a commit checkpoints it', async () => {
    // SQLite's own default would checkpoint at 1 000 pages; this store waits for 4 000.
    expect(await fill()).toBeGreaterThan(1500);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { cliJson, startServerProcess, type ServerProcess } from '../helpers/cli.js';
import { call } from '../helpers/server.js';
import { ALL_MIGRATIONS, LATEST_MIGRATION } from '../helpers/fixtures.js';

describe('the server process', () => {
  const started: ServerProcess[] = [];
  const dirs: string[] = [];
  const tmp = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-proc-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const p of started.splice(0)) p.child.kill('SIGKILL');
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('creates and migrates the SQLite database under DATA_DIR on start, honouring PORT and HOST', async () => {
    const dataDir = path.join(tmp(), 'nested', 'data');
    const server = await startServerProcess({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1' }, ['serve']);
    started.push(server);
    expect(fs.existsSync(path.join(dataDir, 's2s.sqlite'))).toBe(true);
    expect(await call(`${server.url}/readyz`)).toMatchObject({ status: 200 });
    const ready = server.output.map((l) => JSON.parse(l)).find((l) => l.msg === 'database ready');
    expect(ready).toMatchObject({ applied: ALL_MIGRATIONS, current: LATEST_MIGRATION });
  });

  it('stops on SIGTERM: finishes, closes the database (WAL checkpointed away) and exits 0', async () => {
    const dataDir = tmp();
    const admin = 'admin-token-for-stop-test';
    const server = await startServerProcess({ DATA_DIR: dataDir, S2S_ADMIN_TOKEN: admin });
    started.push(server);
    // Requests in flight when the signal lands are answered, not dropped.
    const inflight = Array.from({ length: 50 }, (_, i) =>
      call(`${server.url}/admin/apps`, {
        headers: { authorization: `Bearer ${admin}` },
        body: { name: `app ${i}`, platform: 'ios' },
      }).catch((error: Error) => ({ status: 0, body: error.message, headers: new Headers() })),
    );
    await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    const results = await Promise.all(inflight);
    expect(await server.exited).toBe(0);
    expect(server.output.map((l) => JSON.parse(l)).some((l) => l.msg === 'database ready')).toBe(true);
    expect(server.output.some((l) => l.includes('stopped cleanly'))).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 's2s.sqlite-wal'))).toBe(false);

    // Every request that was answered 201 is stored; none answered with a 5xx.
    const created = results.filter((r) => r.status === 201).map((r) => r.body.app_id);
    expect(results.every((r) => r.status === 201 || r.status === 503 || r.status === 0)).toBe(true);
    const stored = await cliJson(['apps', 'list'], { DATA_DIR: dataDir });
    expect(stored.apps.map((a: { app_id: string }) => a.app_id)).toEqual(expect.arrayContaining(created));
  });

  it('commits every click it answered 200 before stopping on SIGTERM mid-load', async () => {
    const dataDir = tmp();
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios'], { DATA_DIR: dataDir });
    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'cb', '--name', 'c'], { DATA_DIR: dataDir });
    const server = await startServerProcess({ DATA_DIR: dataDir, S2S_WRITE_BATCH_MS: '5' });
    started.push(server);
    const answered: string[] = [];
    const failures: string[] = [];
    let sent = 0;
    // 20 clients send clicks back to back until the server stops answering (bounded at 3000).
    const clients = Array.from({ length: 20 }, async () => {
      while (sent < 3000) {
        sent++;
        try {
          const res = await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true`);
          if (res.status !== 200) {
            failures.push(`HTTP ${res.status}`);
            return;
          }
          answered.push(res.body.id);
        } catch (error) {
          failures.push(String((error as Error).cause ?? error)); // refused once the listener closed
          return;
        }
      }
    });
    while (answered.length < 200 && failures.length === 0) await new Promise((r) => setTimeout(r, 2));
    server.child.kill('SIGTERM');
    await Promise.all(clients);
    expect(await server.exited).toBe(0);
    expect(answered.length).toBeGreaterThanOrEqual(200);
    // Only 503s (server closing) and refused connections, never a 5xx of another kind.
    expect(failures.every((f) => f === 'HTTP 503' || /ECONNREFUSED|ECONNRESET|SocketError|other side closed/.test(f)), failures.join('; ')).toBe(true);

    const { openSqliteStore } = await import('../../src/storage/sqlite/sqlite-store.js');
    const store = openSqliteStore({ dataDir, synchronous: 'FULL' });
    try {
      for (const id of answered) expect(await store.getTouchpoint(id), id).toBeDefined();
    } finally {
      await store.close();
    }
  });

  it.runIf(BACKENDS.some((b) => b.name === 'postgres'))('runs on PostgreSQL when DATABASE_URL is set', async () => {
    const backend = BACKENDS.find((b) => b.name === 'postgres')!;
    const env = backend.env();
    try {
      const server = await startServerProcess(env);
      started.push(server);
      expect(await call(`${server.url}/readyz`)).toMatchObject({ status: 200 });
      const ready = server.output.map((l) => JSON.parse(l)).find((l) => l.msg === 'database ready');
      expect(ready.database).toMatch(/^postgres:\/\/127\.0\.0\.1:5432\/test schema=s2s_test_/);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      await backend.cleanup(env);
    }
  });
});

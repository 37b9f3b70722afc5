import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isDatabaseOutage, isTransientDatabaseError, openStore } from '../../src/storage/db.js';
import { BACKENDS } from '../helpers/backends.js';
import { cliJson, startServerProcess } from '../helpers/cli.js';
import { call } from '../helpers/server.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const postgres = BACKENDS.find((b) => b.name === 'postgres');

describe.runIf(postgres)('PostgreSQL outage under load', () => {
  it('answers 503 JSON while the database is gone for 10 s, fails /readyz, reconnects by itself and loses nothing acknowledged', async () => {
    const base = postgres!.env();
    const target = new URL(base.DATABASE_URL!);
    const proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    target.port = String(proxy.port);
    const env: Record<string, string> = { ...base, DATABASE_URL: target.toString(), S2S_AUTH_CACHE_MS: '500' };
    try {
      const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
      const token = (await cliJson(['tokens', 'create', '--app', app.app_id], env)).token as string;
      const server = await startServerProcess(env);
      const acknowledged: string[] = [];
      const statuses = new Map<number, number>();
      const bodies503 = new Set<string>();
      let stop = false;
      let n = 0;
      const clients = Array.from({ length: 8 }, async () => {
        while (!stop) {
          const gaid = `dev-${n++}`;
          const res = await call(`${server.url}/api/v2/open?token=${token}&app_id=${app.app_id}&gaid=${gaid}`).catch(() => ({ status: 0, body: null }));
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200) acknowledged.push(gaid);
          if (res.status === 503) bodies503.add(JSON.stringify(res.body));
          await new Promise((r) => setTimeout(r, 5));
        }
      });
      try {
        await new Promise((r) => setTimeout(r, 1000));
        await proxy.down();
        const outageStart = Date.now();
        await new Promise((r) => setTimeout(r, 1500));
        const ready = await call(`${server.url}/readyz`).catch((e: Error) => {
          throw new Error(`server gone: ${e.message}\n${server.output.filter((l) => !l.includes('"level":30')).slice(-8).join('\n')}`);
        });
        expect(ready.status).toBe(503);
        await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - outageStart)));
        const duringOutage = statuses.get(503) ?? 0;
        await proxy.up();
        // It reconnects by itself: ready again, and writes succeed again.
        await expect.poll(async () => (await call(`${server.url}/readyz`)).status, { timeout: 10_000, interval: 200 }).toBe(200);
        const before = acknowledged.length;
        await expect.poll(() => acknowledged.length, { timeout: 10_000 }).toBeGreaterThan(before + 20);
        expect(duringOutage).toBeGreaterThan(0);
      } finally {
        stop = true;
        await Promise.all(clients);
        server.child.kill('SIGTERM');
        await server.exited;
      }
      expect([...statuses.keys()].sort()).toEqual([200, 503]);
      expect([...bodies503].map((b) => JSON.parse(b))).toEqual([{ status: 503, message: 'database unavailable; retry later' }]);

      const store = openStore(loadConfig(base));
      try {
        const known = new Set((await store.listKnownDevices(app.app_id)).map((d) => d.value));
        const missing = acknowledged.filter((g) => !known.has(g));
        expect(missing).toEqual([]);
      } finally {
        await store.close();
      }
      console.log(`outage: ${JSON.stringify(Object.fromEntries(statuses))}; ${acknowledged.length} acknowledged, all stored`);
    } finally {
      await proxy.close();
      await postgres!.cleanup(base);
    }
  }, 60_000);
});

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
  });
});

describe('/readyz while writes fail', () => {
  it('fails while the last commit failed with an outage, and falls back to the ping once no write has been tried for a while', async () => {
    const Fastify = (await import('fastify')).default;
    const { healthRoutes, WRITE_OUTAGE_READY_MS } = await import('../../src/ops/health.routes.js');
    const { Metrics } = await import('../../src/http/metrics.js');
    let now = 1_000_000;
    const writes: { outage: { error: unknown; at: number } | undefined } = { outage: undefined };
    const app = Fastify();
    const store = { ping: async () => {} } as unknown as import('../../src/storage/store.js').Store;
    await app.register(healthRoutes, { store, metrics: new Metrics(), writes, now: () => now });
    try {
      expect((await app.inject('/readyz')).statusCode).toBe(200);
      writes.outage = { error: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), at: now };
      const failing = await app.inject('/readyz');
      expect(failing.statusCode).toBe(503);
      expect(failing.json()).toEqual({ status: 503, message: 'database: writes are failing (SQLITE_FULL)' });
      now += WRITE_OUTAGE_READY_MS - 1;
      expect((await app.inject('/readyz')).statusCode).toBe(503);
      now += 1;
      expect((await app.inject('/readyz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/storage/db.js';
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

import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/storage/db.js';
import { BACKENDS } from '../helpers/backends.js';
import { cliJson, startServerProcess } from '../helpers/cli.js';
import { call } from '../helpers/server.js';
import { SKAN_4_HIGH } from '../fixtures/apple-postbacks.js';

const ROUNDS = 5;

describe.each(BACKENDS)('kill -9 under load on $name', (backend) => {
  it(`keeps every acknowledged record exactly once, over ${ROUNDS} rounds`, async () => {
    const env: Record<string, string> = { ...backend.env(), S2S_WRITE_BATCH_MS: '2' };
    try {
      const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
      const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'cb', '--name', 'c'], env);
      const token = (await cliJson(['tokens', 'create', '--app', app.app_id], env)).token as string;
      await cliJson(['apps', 'configure', '--app', app.app_id, '--adjust-app-token', 'crashadjust1', '--app-store-id', '525463029'], env);
      // A webhook to a port nothing listens on: its deliveries are queued with their records and wait.
      const hook = await cliJson(['webhooks', 'add', '--app', app.app_id, '--url', 'http://127.0.0.1:9/s2s', '--json'], env);
      const opens: string[] = [];
      const sessions: string[] = [];
      const events: string[] = [];
      const clicks: string[] = [];
      const adRevenue: string[] = [];
      const skan: string[] = [];
      let refused = 0;

      for (let round = 0; round < ROUNDS; round++) {
        const server = await startServerProcess(env);
        let stop = false;
        let n = 0;
        // 12 clients in a loop: opens of new devices (installs), keyed events, clicks, Adjust
        // sessions and ad revenue of new devices, and Apple's SKAdNetwork copies (a new transaction each).
        const clients = Array.from({ length: 12 }, async (_, c) => {
          while (!stop) {
            const i = `${round}-${c}-${n++}`;
            try {
              if (n % 8 === 3) {
                const res = await call(`${server.url}/session?s2s=1&app_token=crashadjust1&gps_adid=adj-${i}`, { headers: { authorization: `Bearer ${token}` } });
                if (res.status === 200) sessions.push(`adj-${i}`);
              } else if (n % 8 === 7) {
                const res = await call(`${server.url}/ad_revenue?s2s=1&app_token=crashadjust1&gps_adid=adr-${i}&source=publisher&revenue=0.002&currency=USD&ad_impressions_count=1`, {
                  headers: { authorization: `Bearer ${token}` },
                });
                if (res.status === 200) adRevenue.push(`adr-${i}`);
              } else if (n % 16 === 5) {
                const transaction = `skan-${i}`;
                const body = JSON.stringify({ ...JSON.parse(SKAN_4_HIGH), 'transaction-id': transaction });
                const res = await call(`${server.url}/.well-known/skadnetwork/report-attribution/`, { method: 'POST', rawBody: body, headers: { 'content-type': 'application/json' } });
                if (res.status === 200) skan.push(transaction);
              } else if (n % 4 === 0) {
                const res = await call(`${server.url}/api/v2/open?token=${token}&app_id=${app.app_id}&gaid=dev-${i}`);
                if (res.status === 200) opens.push(`dev-${i}`);
              } else if (n % 4 === 1) {
                const res = await call(`${server.url}/postback?s2s_token=${token}&user_id=user-${c}&event_id=level&event_uid=ev-${i}`);
                if (res.status === 200) events.push(`ev-${i}`);
              } else {
                const res = await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&gaid=dev-${i}`);
                if (res.status === 200) clicks.push(res.body.id);
              }
            } catch {
              refused++;
              return; // the server is gone
            }
          }
        });
        // Killed at a different moment each round, and only once the round has had its share
        // of acknowledged records (a slow machine takes longer to get there; at most 10 s).
        const before = opens.length + events.length + clicks.length + sessions.length + adRevenue.length;
        await new Promise((r) => setTimeout(r, 300 + round * 50));
        const deadline = Date.now() + 10_000;
        while (opens.length + events.length + clicks.length + sessions.length + adRevenue.length - before <= 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        server.child.kill('SIGKILL');
        stop = true;
        await Promise.all(clients);
        await server.exited;
      }
      expect(opens.length + events.length + clicks.length + sessions.length).toBeGreaterThan(ROUNDS * 50);
      expect(sessions.length).toBeGreaterThan(0);
      expect(adRevenue.length).toBeGreaterThan(0);
      expect(skan.length).toBeGreaterThan(0);

      // Restarted once more: the database opens (WAL recovery) and everything acknowledged is there.
      const last = await startServerProcess(env);
      try {
        expect((await call(`${last.url}/readyz`)).status).toBe(200);
      } finally {
        last.child.kill('SIGTERM');
        await last.exited;
      }
      const store = openStore(loadConfig(env));
      try {
        const installs = await store.listInstalls(app.app_id);
        const allEvents = await store.listEvents(app.app_id);
        const installsPerUser = new Map<string, number>();
        for (const i of installs.filter((x) => x.kind === 'install')) installsPerUser.set(i.user_pk, (installsPerUser.get(i.user_pk) ?? 0) + 1);
        expect([...installsPerUser.values()].every((n) => n === 1)).toBe(true);
        // Nothing half-written: every event belongs to a user that has its install.
        expect(allEvents.every((e) => installsPerUser.has(e.user_pk))).toBe(true);

        const opensByUser = new Map<string, number>();
        for (const e of allEvents.filter((x) => x.kind === 'open')) opensByUser.set(e.user_pk, (opensByUser.get(e.user_pk) ?? 0) + 1);
        for (const gaid of [...opens, ...sessions]) {
          const install = await store.getInstallByUser(app.app_id, { kind: 'gaid', value: gaid });
          expect(install, gaid).toBeDefined();
          expect(opensByUser.get(install!.user_pk), gaid).toBe(1);
        }
        const keyed = new Map<string, number>();
        for (const e of allEvents) if (e.dedup_key) keyed.set(e.dedup_key, (keyed.get(e.dedup_key) ?? 0) + 1);
        for (const uid of events) expect(keyed.get(`uid:${uid}`), uid).toBe(1);
        for (const id of clicks) expect(await store.getTouchpoint(id), id).toBeDefined();
        const adByUser = new Map<string, number>();
        for (const e of allEvents.filter((x) => x.kind === 'ad_revenue')) adByUser.set(e.user_pk, (adByUser.get(e.user_pk) ?? 0) + 1);
        for (const gaid of adRevenue) {
          const install = await store.getInstallByUser(app.app_id, { kind: 'gaid', value: gaid });
          expect(install, gaid).toBeDefined();
          expect(adByUser.get(install!.user_pk), gaid).toBe(1);
        }
        const postbacks = new Map<string, number>();
        for (const p of await store.listSkanPostbacks(app.app_id, 1_000_000)) postbacks.set(p.transaction_id, (postbacks.get(p.transaction_id) ?? 0) + 1);
        for (const transaction of skan) expect(postbacks.get(transaction), transaction).toBe(1);

        // Each acknowledged install and keyed event has its webhook delivery, once: queued in its transaction.
        const causes = new Map<string, number>();
        for (const d of await store.listDeliveries({ postbackId: hook.webhook_id, limit: 10_000_000 })) causes.set(d.dedup_key, (causes.get(d.dedup_key) ?? 0) + 1);
        for (const gaid of [...opens, ...sessions]) {
          const install = await store.getInstallByUser(app.app_id, { kind: 'gaid', value: gaid });
          expect(causes.get(`install:${install!.install_id}`), gaid).toBe(1);
        }
        const byKey = new Map(allEvents.filter((e) => e.dedup_key).map((e) => [e.dedup_key!, e.event_pk]));
        for (const uid of events) expect(causes.get(`event:${byKey.get(`uid:${uid}`)}`), uid).toBe(1);
      } finally {
        await store.close();
      }
      console.log(`kill -9 on ${backend.name}: ${opens.length} opens, ${events.length} events, ${clicks.length} clicks, ${sessions.length} Adjust sessions, ${adRevenue.length} ad revenues, ${skan.length} SKAdNetwork postbacks acknowledged and found; ${refused} requests cut`);
    } finally {
      await backend.cleanup(env);
    }
  }, 90_000);
});

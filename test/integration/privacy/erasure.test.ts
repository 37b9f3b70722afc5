import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson } from '../../helpers/cli.js';
import { rawQuery } from '../../helpers/raw-sql.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

// The forgotten device's ids, IP and user agent: distinctive, so a search of the database file finds only them.
const GAID = '5eed0001-aaaa-4bbb-8ccc-d0d0d0d0f0f0';
const IP = '198.51.100.77';
const UA = 'ForgetMeBrowser/9.1';
const KEPT = '5eed0002-aaaa-4bbb-8ccc-d0d0d0d0f0f0';

/**
 * Erasure (docs/security.md): `s2s forget`, `POST /admin/forget` and Adjust's
 * `gdpr_forget_device` delete or strip every row holding a user's ids, in one transaction;
 * reports count as before; the log keeps counts, never ids.
 */
describe.each(BACKENDS)('erasure on $name', (backend: TestBackend) => {
  let server: TestServer;
  let receiver: Receiver;
  let app: { app_id: string };
  let token: string;
  const adjustToken = `forget${backend.name}`.padEnd(12, 'x').slice(0, 12);

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_DISPATCH_POLL_MS: '20' });
    receiver = await startReceiver();
    app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Forget', platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    await call(`${server.url}/admin/apps/${app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'adjust', app: adjustToken, events: { buy001: 'purchase' } } });
    token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'unity', name: 'U', cpi: 2 } })).body;
    const pb = await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: app.app_id, network: 'unity', format: 'url', url: `${receiver.url}/pb?g={gaid}&ip={ip}`, events: ['install', 'purchase'] } });
    expect(pb.status).toBe(201);
    for (const gaid of [GAID, KEPT]) {
      const ip = gaid === GAID ? IP : '192.0.2.1';
      const click = await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaign.campaign_id, no_redirect: 'true', gaid, user_ip: ip, user_ua: UA })}`);
      expect(click.status).toBe(200);
      const session = await call(`${server.url}/session?${new URLSearchParams({ s2s: '1', app_token: adjustToken, gps_adid: gaid, ip_address: ip })}`, { headers: { authorization: `Bearer ${token}` } });
      expect(session.status).toBe(200);
      const paid = await call(`${server.url}/event?${new URLSearchParams({ s2s: '1', app_token: adjustToken, event_token: 'buy001', gps_adid: gaid, revenue: '5', currency: 'USD', ip_address: ip })}`, { headers: { authorization: `Bearer ${token}` } });
      expect(paid.status).toBe(200);
    }
    await receiver.waitFor(4);
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  const today = new Date().toISOString().slice(0, 10);
  const report = async () => (await call(`${server.url}/admin/reports?app_id=${app.app_id}&from=${today}&to=${today}&group_by=campaign`, { admin: true })).body.totals;

  it('forgets a device: its ids, click, events and outbox entries go, in one receipt; reports count as before; the other user is untouched', async () => {
    const before = await report();
    expect(before).toMatchObject({ installs: 2, clicks: 2, revenue_usd: 10, purchases: 2 });
    // Any case: device ids compare lower-case.
    const done = await cliJson(['forget', '--app', app.app_id, '--device', GAID.toUpperCase()], server.db.env);
    expect(done).toMatchObject({ erasure_id: expect.stringMatching(/^[0-9a-f]{24}$/), app_id: app.app_id, source: 'cli', users: 1 });
    expect(done.rows).toMatchObject({ identities: 1, touchpoints: 1, events: 2, installs_stripped: 1 });
    expect(done.rows.deliveries).toBeGreaterThanOrEqual(2);

    expect(await report()).toEqual(before);
    const devices = (await server.db.store.listKnownDevices(app.app_id)).map((d) => d.value);
    expect(devices).toEqual([KEPT]);
    const installs = await server.db.store.listInstalls(app.app_id);
    expect(installs).toHaveLength(2);
    expect(installs.map((i) => i.ip).sort()).toEqual(['192.0.2.1', null]);
    expect(installs.every((i) => i.status === 'attributed')).toBe(true);
    const events = await server.db.store.listEvents(app.app_id);
    expect(events).toHaveLength(2);
    expect(JSON.stringify(events)).not.toContain(GAID);

    const everything = async (table: string) => JSON.stringify(await rawQuery(server.db, `select * from ${table}`, []));
    for (const table of ['user_identities', 'touchpoints', 'events', 'installs', 'deliveries', 'delivery_attempts', 'erasures', 'event_dedup', 'idempotency_keys']) {
      const rows = await everything(table);
      expect(rows, table).not.toContain(GAID);
      expect(rows, table).not.toContain(IP);
    }
    expect(await everything('deliveries')).toContain(KEPT);

    const log = await cliJson(['erasures', '--app', app.app_id], server.db.env);
    expect(log.erasures).toEqual([{ ...done }]);
    expect(JSON.stringify(log)).not.toContain(GAID);
  });

  it.skipIf(backend.name !== 'sqlite')("leaves the forgotten device's ids nowhere in the database files", () => {
    const dir = server.db.env.DATA_DIR!;
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('s2s.sqlite'));
    expect(files).toContain('s2s.sqlite');
    for (const file of files) {
      const bytes = fs.readFileSync(path.join(dir, file));
      for (const secret of [GAID, IP, GAID.toUpperCase()]) expect(bytes.includes(Buffer.from(secret)), `${secret} in ${file}`).toBe(false);
      // The user agent stays only as the other user's: one copy less than before is not enough to
      // show, so the kept user's ids prove the search reads real data.
    }
    expect(fs.readFileSync(path.join(dir, 's2s.sqlite')).includes(Buffer.from(KEPT))).toBe(true);
  });

  it('POST /admin/forget by user id, and its refusals naming the field', async () => {
    expect((await call(`${server.url}/postback?${new URLSearchParams({ s2s_token: token, user_id: 'player-42', event_id: 'level' })}`)).status).toBe(200);
    const done = await call(`${server.url}/admin/forget`, { admin: true, body: { app_id: app.app_id, user_ids: ['player-42'] } });
    expect(done).toMatchObject({ status: 200, body: { source: 'admin', users: 1, rows: { identities: 1, events: 1 } } });
    expect((await rawQuery(server.db, "select count(*) as n from user_identities where value = 'player-42'", []))[0]).toMatchObject({ n: expect.anything() });
    expect(Number((await rawQuery(server.db, "select count(*) as n from user_identities where value = 'player-42'", []))[0]!.n)).toBe(0);
    // Nobody by that id: a receipt all the same, with nothing done; a short id that is part of
    // other users' URLs takes none of their deliveries.
    const deliveriesBefore = (await rawQuery(server.db, 'select count(*) as n from deliveries', []))[0]!.n;
    expect((await call(`${server.url}/admin/forget`, { admin: true, body: { app_id: app.app_id, devices: ['never-seen', '1', '5'] } })).body).toMatchObject({ users: 0, rows: { identities: 0, deliveries: 0 } });
    expect((await rawQuery(server.db, 'select count(*) as n from deliveries', []))[0]!.n).toEqual(deliveriesBefore);
    expect((await call(`${server.url}/admin/forget`, { admin: true, body: { app_id: app.app_id } })).body).toMatchObject({ status: 400, message: expect.stringMatching(/^devices: /) });
    expect((await call(`${server.url}/admin/forget`, { admin: true, body: { app_id: 'f'.repeat(24), devices: ['x'] } })).body).toMatchObject({ status: 404, message: `app_id: unknown app ${'f'.repeat(24)}` });
    expect((await call(`${server.url}/admin/forget`, { body: { app_id: app.app_id, devices: ['x'] } })).status).toBe(401);
  });

  it("Adjust's gdpr_forget_device forgets the device of that app", async () => {
    const forget = (params: Record<string, string>, auth = true) =>
      call(`${server.url}/gdpr_forget_device?${new URLSearchParams(params)}`, { method: 'POST', headers: auth ? { authorization: `Bearer ${token}` } : {} });
    expect(await forget({ s2s: '1', app_token: adjustToken, gps_adid: KEPT })).toMatchObject({ status: 200, body: { status: 'OK' } });
    expect(await server.db.store.listKnownDevices(app.app_id)).toEqual([]);
    expect((await forget({ s2s: '1', app_token: adjustToken })).body).toMatchObject({ status: 400, message: expect.stringMatching(/^idfa: a device id is required/), error: 'Erasure request failed (Bad event state)' });
    expect((await forget({ s2s: '1', app_token: adjustToken, gps_adid: KEPT }, false)).status).toBe(401);
    const log = (await call(`${server.url}/admin/erasures?app_id=${app.app_id}`, { admin: true })).body.erasures;
    expect(log.map((e: { source: string }) => e.source)).toEqual(['adjust', 'admin', 'admin', 'cli']);
  });
});

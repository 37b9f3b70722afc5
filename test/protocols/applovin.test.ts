import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickOn, setupApp } from '../helpers/apps.js';
import { BACKENDS, type TestBackend } from '../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

/** MAX's macros as a template fills them in (support.axon.ai, S2S impression revenue API). */
const impression = (token: string, fields: Record<string, string>) => `/ad_revenue/max?${new URLSearchParams({ token, ...fields })}`;

/**
 * AppLovin MAX's impression-level revenue postback: a GET per impression to the URL template
 * the publisher gives MAX, the token in it, each impression an `ad_revenue` event.
 */
describe.each(BACKENDS)('AppLovin MAX impression postback (/ad_revenue/max) on $name', (backend: TestBackend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores each impression once as ad revenue of the device {IDFA} names (a GAID on Android), attributed like any first sighting', async () => {
    const { app, campaign, token } = await setupApp(server, 'android');
    const gaid = '38400000-8cf0-11bd-b23e-10b96e40000d';
    const clickId = await clickOn(server, campaign.campaign_id, { gaid });
    // Shown after the click (a second ahead of this clock is within what a sender may be).
    const ts = Math.ceil(Date.now() / 1000) + 1;
    const fields = {
      event_id: '8dc948013d71f6a8f9df7b8a2e3d4c5b6a7f8e9d', revenue: '0.002067201', ts: String(ts), idfa: gaid.toUpperCase(), idfv: '{IDFV}',
      user_id: 'player-7', ip: '203.0.113.9', network: 'APPLOVIN_BIDDING', ad_unit_id: '9ad0816ac071552a', placement: 'level_end', ad_format: 'REWARDED', country: 'gb',
    };
    const first = await call(`${server.url}${impression(token, fields)}`);
    expect(first).toMatchObject({ status: 200, body: { status: 200, message: 'OK' } });
    // MAX's retry of the same impression, and a second impression in milliseconds.
    expect((await call(`${server.url}${impression(token, fields)}`)).status).toBe(200);
    expect((await call(`${server.url}${impression(token, { ...fields, event_id: 'b'.repeat(40), ts: String(ts * 1000 + 5), revenue: '0.01' })}`)).status).toBe(200);

    const events = await server.db.store.listEvents(app.app_id);
    expect(events.map((e) => [e.kind, e.name, e.source, e.revenue, e.currency, e.ad_source, e.ad_network, e.ad_unit, e.ad_placement, e.ad_impressions])).toEqual([
      ['ad_revenue', 'ad_revenue', 'applovin-max', 0.002067201, 'USD', 'applovin_max', 'APPLOVIN_BIDDING', '9ad0816ac071552a', 'level_end', 1],
      ['ad_revenue', 'ad_revenue', 'applovin-max', 0.01, 'USD', 'applovin_max', 'APPLOVIN_BIDDING', '9ad0816ac071552a', 'level_end', 1],
    ]);
    expect(events[0]).toMatchObject({ occurred_at: ts * 1000, ip: '203.0.113.9', revenue_usd: 0.002067201 });
    expect(events[1]!.occurred_at).toBe(ts * 1000 + 5);
    expect(JSON.parse(events[0]!.event_value!)).toEqual({ ad_format: 'REWARDED', country: 'GB' });
    const install = await server.db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: gaid });
    expect(install).toMatchObject({ status: 'attributed', touchpoint_id: clickId, source: 'applovin-max' });
    expect((await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: 'player-7' }))?.user_pk).toBe(install!.user_pk);
    // The unfilled {IDFV} named nobody.
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'idfv', value: '{idfv}' })).toBeUndefined();
  });

  it('reads {IDFA} as the IDFA on iOS, and a user id alone is enough', async () => {
    const { app, token } = await setupApp(server, 'ios');
    const idfa = 'd2cadb5f-410f-4963-ac0c-2a78534bdf1e';
    expect((await call(`${server.url}${impression(token, { event_id: 'c1', revenue: '0.5', idfa })}`)).status).toBe(200);
    expect((await call(`${server.url}${impression(token, { event_id: 'c2', revenue: '0', user_id: 'u-only', idfa: '{IDFA}' })}`)).status).toBe(200);
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: idfa })).toBeDefined();
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: 'u-only' })).toBeDefined();
  });

  it('refuses what it cannot store, naming the field, and stores nothing', async () => {
    const { app, token } = await setupApp(server, 'android');
    const other = await setupApp(server, 'android');
    const ok = { event_id: 'e1', revenue: '0.1', idfa: '38400000-8cf0-11bd-b23e-10b96e40000d' };
    const cases: [string, number, string][] = [
      [`/ad_revenue/max?${new URLSearchParams(ok)}`, 401, 'token: is required'],
      [impression('not-a-token', ok), 401, 'token: is not a valid token'],
      [impression(other.token, { ...ok, app_id: app.app_id }), 403, `app_id: this token may not write to app ${app.app_id}`],
      [impression(token, { ...ok, event_id: '' }), 400, 'event_id: is required'],
      [impression(token, { ...ok, event_id: '{EVENT_ID}' }), 400, 'event_id: is required'],
      [impression(token, { ...ok, revenue: '' }), 400, 'revenue: is required'],
      [impression(token, { ...ok, revenue: '-1' }), 400, 'revenue: must be at least 0'],
      [impression(token, { ...ok, revenue: 'abc' }), 400, 'revenue: must be a number'],
      [impression(token, { ...ok, currency: 'dollars' }), 400, 'currency: must be a 3-letter currency code'],
      [impression(token, { ...ok, idfa: '' }), 400, 'idfa: a device id (idfa, idfv) or user_id is required'],
      [impression(token, { ...ok, ts: 'yesterday' }), 400, 'ts: must be epoch seconds or milliseconds'],
      [impression(token, { ...ok, ts: '12' }), 400, 'ts: 12 is not epoch seconds'],
      [impression(token, { ...ok, ts: String(Math.floor(Date.now() / 1000) + 86_400) }), 400, 'ts: '],
      [impression(token, { ...ok, network: 'n'.repeat(129) }), 400, 'network: longer than 128 characters'],
    ];
    for (const [path, status, message] of cases) {
      const res = await call(`${server.url}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.body.message, path).toMatch(new RegExp(`^${message.replace(/[{}()[\]$^.*+?|\\]/g, '\\$&')}`));
    }
    expect((await call(`${server.url}${impression(token, ok)}`, { method: 'POST' })).status).toBe(405);
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(0);
    expect(await server.db.store.listInstalls(app.app_id)).toHaveLength(0);
  });
});

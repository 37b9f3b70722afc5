import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickOn, setupApp } from '../helpers/apps.js';
import { BACKENDS, type TestBackend } from '../helpers/backends.js';
import { cliJson, runCli } from '../helpers/cli.js';
import { rawQuery } from '../helpers/raw-sql.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

let seq = 0;
/** A fresh Adjust app token (12 lowercase letters and digits, like `4w565xzmb54d`). */
const appToken = () => `t${Date.now().toString(36)}${++seq}`.padEnd(12, 'x').slice(-12);

/**
 * Adjust's S2S API as dev.adjust.com documents it (api/s2s-api, /events, /sessions): the app
 * named by its Adjust app token, authorized by `Authorization: Bearer <token>`, URL parameters
 * or a form body, and Adjust's answers and error shape.
 */
describe.each(BACKENDS)('Adjust S2S receiver (/event, /session, /ad_revenue) on $name', (backend: TestBackend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  /** An app with an Adjust app token and event tokens, through the admin API. */
  async function setup(events: Record<string, string | null> = {}, platform = 'android') {
    const made = await setupApp(server, platform);
    const adjustToken = appToken();
    const res = await call(`${server.url}/admin/apps/${made.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'adjust', app: adjustToken, events } });
    expect(res.status).toBe(200);
    return { ...made, adjustToken };
  }

  const send = (path: string, token: string | undefined, params: Record<string, string>, how: 'get' | 'form' | 'post-query' = 'get', headers: Record<string, string> = {}) => {
    const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    const query = new URLSearchParams(params).toString();
    if (how === 'form') {
      return call(`${server.url}${path}`, { method: 'POST', rawBody: query, headers: { 'content-type': 'application/x-www-form-urlencoded', ...auth, ...headers } });
    }
    return call(`${server.url}${path}?${query}`, { method: how === 'get' ? 'GET' : 'POST', headers: { ...auth, ...headers } });
  };

  it('stores an event under the event id its token maps to, with revenue, its time and JSON parameters; an unmapped token is stored as itself', async () => {
    const { app, token, adjustToken } = await setup({ f0ob4r: 'purchase' });
    const hourAgo = Math.floor(Date.now() / 1000) - 3600;
    const params = {
      s2s: '1', app_token: adjustToken, event_token: 'f0ob4r', gps_adid: '660E1D86-6796-463A-BE86-897993136018',
      created_at_unix: String(hourAgo), ip_address: '203.0.113.4', revenue: '123.4', currency: 'EUR',
      callback_params: '{"f0o":"bar","bar":"baz"}', partner_params: '{"p":"1"}', environment: 'sandbox',
    };
    const res = await send('/event', token, params);
    expect(res).toMatchObject({ status: 200, body: { status: 'OK' } });
    // POST with a form body, and POST with URL parameters, as Adjust accepts both; its ISO form
    // carries the offset without a colon.
    const later = new Date((hourAgo + 1800) * 1000).toISOString().replace('Z', '+0000');
    expect((await send('/event', token, { s2s: '1', app_token: adjustToken, event_token: 'abc123', gps_adid: '660e1d86-6796-463a-be86-897993136018', created_at: later }, 'form')).status).toBe(200);
    expect((await send('/event', token, { s2s: '1', app_token: adjustToken, event_token: 'abc123', gps_adid: '660e1d86-6796-463a-be86-897993136018' }, 'post-query')).status).toBe(200);

    const events = await server.db.store.listEvents(app.app_id);
    expect(events.map((e) => [e.kind, e.name, e.source])).toEqual([
      ['purchase', 'purchase', 'adjust-event'],
      ['event', 'abc123', 'adjust-event'],
      ['event', 'abc123', 'adjust-event'],
    ]);
    expect(events[0]).toMatchObject({ revenue: 123.4, currency: 'EUR', occurred_at: hourAgo * 1000, ip: '203.0.113.4' });
    expect(JSON.parse(events[0]!.event_value!)).toEqual({ event_token: 'f0ob4r', environment: 'sandbox', callback_params: { f0o: 'bar', bar: 'baz' }, partner_params: { p: '1' } });
    expect(events[1]!.occurred_at).toBe((hourAgo + 1800) * 1000);
    // One device, one install: the three events name the same (lower-cased) advertising id.
    expect(await server.db.store.listInstalls(app.app_id)).toHaveLength(1);
  });

  it('answers the first session "Install tracked", attributed to the click with its device id, and later ones "Session tracked"', async () => {
    const { app, campaign, token, adjustToken } = await setup({}, 'ios');
    const clickId = await clickOn(server, campaign.campaign_id, { idfa: 'D2CADB5F-410F-4963-AC0C-2A78534BDF1E' });
    const session = { s2s: '1', app_token: adjustToken, idfa: 'D2CADB5F-410F-4963-AC0C-2A78534BDF1E', idfv: '59E27F41-A86B-4560-B585-63161F871C4B', created_at_unix: String(Math.ceil(Date.now() / 1000) + 1) };
    const first = await send('/session', token, session, 'form', { 'x-adjust-forwarded-for': '180.220.253.39' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ app_token: adjustToken, adid: expect.stringMatching(/^[0-9a-f]{24}$/), timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z\+0000$/), message: 'Install tracked' });
    // Known by its vendor id alone now, as the same user.
    const again = await send('/session', token, { s2s: '1', app_token: adjustToken, idfv: '59e27f41-a86b-4560-b585-63161f871c4b' }, 'form');
    expect(again.body).toMatchObject({ adid: first.body.adid, message: 'Session tracked' });
    const installs = await server.db.store.listInstalls(app.app_id);
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatchObject({ status: 'attributed', match_type: 'device_id', touchpoint_id: clickId, source: 'adjust-session', ip: '180.220.253.39' });
    expect((await server.db.store.listEvents(app.app_id)).map((e) => [e.kind, e.name])).toEqual([['open', 'session'], ['open', 'session']]);
  });

  it('refuses what Adjust refuses, in its error shape, naming the field, and stores nothing', async () => {
    const { app, token, adjustToken } = await setup({ f0ob4r: 'purchase' });
    const other = await setup();
    const ok = { s2s: '1', app_token: adjustToken, event_token: 'f0ob4r', idfa: 'd2cadb5f-410f-4963-ac0c-2a78534bdf1e' };
    const cases: [Record<string, string>, string | undefined, number, string, string][] = [
      [{ ...ok, s2s: '' }, token, 400, 'Bad event state', 's2s: is required'],
      [{ ...ok, s2s: '0' }, token, 400, 'Bad event state', 's2s: must be 1'],
      [{ ...ok, app_token: '' }, token, 400, 'Invalid app token', 'app_token: is required'],
      [{ ...ok, app_token: 'nosuchtoken1' }, token, 404, 'App token not found', 'app_token: no app has Adjust app token nosuchtoken1'],
      [ok, undefined, 401, 'Failed to authorize request', 'authorization: is required'],
      [ok, 'not-a-token', 401, 'Failed to authorize request', 'authorization: is not a valid token'],
      // A token of another app does not write to this one.
      [ok, other.token, 401, 'Failed to authorize request', `app_id: this token may not write to app ${app.app_id}`],
      [{ ...ok, event_token: '' }, token, 400, 'Invalid event token', 'event_token: is required'],
      [{ ...ok, event_token: 'no spaces' }, token, 400, 'Invalid event token', 'event_token: must be an Adjust event token'],
      [{ ...ok, idfa: '' }, token, 404, 'Device not found', 'idfa: at least one device id'],
      [{ ...ok, revenue: '-1', currency: 'EUR' }, token, 400, 'Invalid revenue', 'revenue: must be at least 0'],
      [{ ...ok, revenue: '1e12', currency: 'EUR' }, token, 400, 'Invalid revenue', 'revenue: must be at most 100000000000'],
      [{ ...ok, revenue: '4.99' }, token, 400, 'Invalid revenue', 'currency: is required with revenue'],
      [{ ...ok, callback_params: '{bad' }, token, 400, 'Invalid callback parameters', 'callback_params: must be a JSON object'],
      [{ ...ok, partner_params: '[1]' }, token, 400, 'Invalid callback parameters', 'partner_params: must be a JSON object'],
      [{ ...ok, created_at_unix: '12' }, token, 400, 'Bad event state', 'created_at_unix: 12 is not epoch seconds'],
      [{ ...ok, created_at: 'yesterday' }, token, 400, 'Bad event state', 'created_at: "yesterday" is not an ISO 8601 time'],
      [{ ...ok, created_at_unix: String(Math.floor(Date.now() / 1000) + 86_400) }, token, 400, 'Bad event state', 'created_at_unix: '],
      [{ ...ok, environment: 'staging' }, token, 400, 'Bad event state', 'environment: must be production or sandbox'],
    ];
    for (const [params, auth, status, reason, message] of cases) {
      const res = await send('/event', auth, params);
      expect(res.status, JSON.stringify(params)).toBe(status);
      expect(res.body, JSON.stringify(params)).toEqual({ status, message: expect.stringContaining(message), error: `Event request failed (${reason})` });
      expect(res.body.message.startsWith(message), res.body.message).toBe(true);
    }
    const session = await send('/session', token, { s2s: '1', app_token: adjustToken });
    expect(session.body).toEqual({ status: 404, message: expect.stringMatching(/^idfa: at least one device id/), error: 'Session request failed (Device not found)' });
    const method = await call(`${server.url}/event`, { method: 'DELETE' });
    expect(method.body).toMatchObject({ status: 405, error: 'Event request failed (Method not allowed)' });
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(0);
    expect(await server.db.store.listInstalls(app.app_id)).toHaveLength(0);
  });

  it('stores ad revenue with its source, network, unit, placement and impressions, in the install summary apart from purchases', async () => {
    const { app, token, adjustToken } = await setup({ f0ob4r: 'purchase' });
    const device = { s2s: '1', app_token: adjustToken, gps_adid: '9a8b7c6d-0000-4000-8000-00000000ad01' };
    const params = {
      ...device, source: 'publisher', revenue: '0.01', currency: 'EUR', ad_impressions_count: '2', ad_revenue_network: 'AdMob',
      ad_revenue_unit: 'rewarded_main', ad_revenue_placement: 'level_end', environment: 'sandbox', callback_params: '{"k":"v"}',
    };
    expect(await send('/ad_revenue', token, params)).toMatchObject({ status: 200, body: { status: 'OK' } });
    // `amount` instead of `revenue`, in a form body, from an SDK source.
    const { revenue: _r, ...rest } = params;
    expect((await send('/ad_revenue', token, { ...rest, amount: '0.02', currency: 'USD', source: 'applovin_max_sdk', ad_impressions_count: '1' }, 'form')).status).toBe(200);
    expect((await send('/event', token, { ...device, event_token: 'f0ob4r', revenue: '4.99', currency: 'USD' })).status).toBe(200);

    const events = await server.db.store.listEvents(app.app_id);
    expect(events.map((e) => [e.kind, e.name, e.source, e.ad_source, e.ad_impressions])).toEqual([
      ['ad_revenue', 'ad_revenue', 'adjust-ad-revenue', 'publisher', 2],
      ['ad_revenue', 'ad_revenue', 'adjust-ad-revenue', 'applovin_max_sdk', 1],
      ['purchase', 'purchase', 'adjust-event', null, null],
    ]);
    expect(events[0]).toMatchObject({ revenue: 0.01, currency: 'EUR', ad_network: 'AdMob', ad_unit: 'rewarded_main', ad_placement: 'level_end' });
    expect(JSON.parse(events[0]!.event_value!)).toEqual({ environment: 'sandbox', callback_params: { k: 'v' } });
    const [summary] = await rawQuery(server.db, 'select purchases, revenue_usd, ad_revenue_usd, ad_impressions, revenue_d0_usd from installs where app_id = $1', [app.app_id]);
    const eurUsd = events[0]!.revenue_usd!;
    expect(eurUsd).toBeGreaterThan(0.01);
    expect(Number(summary!.purchases)).toBe(1);
    expect(Number(summary!.ad_impressions)).toBe(3);
    expect(Number(summary!.ad_revenue_usd)).toBeCloseTo(eurUsd + 0.02, 9);
    expect(Number(summary!.revenue_usd)).toBeCloseTo(eurUsd + 0.02 + 4.99, 9);
    expect(Number(summary!.revenue_d0_usd)).toBeCloseTo(eurUsd + 0.02 + 4.99, 9);
  });

  it('refuses ad revenue without what Adjust requires, in its error shape', async () => {
    const { app, token, adjustToken } = await setup();
    const ok = { s2s: '1', app_token: adjustToken, idfa: 'd2cadb5f-410f-4963-ac0c-2a78534bdf1e', source: 'publisher', revenue: '0.5', currency: 'USD', ad_impressions_count: '1' };
    const cases: [Record<string, string>, number, string, string][] = [
      [{ ...ok, source: '' }, 400, 'Bad event state', 'source: is required'],
      [{ ...ok, revenue: '' }, 400, 'Invalid revenue', 'revenue: is required'],
      [{ ...ok, revenue: 'lots' }, 400, 'Invalid revenue', 'revenue: must be a number'],
      [{ ...ok, currency: '' }, 400, 'Invalid revenue', 'currency: is required with revenue'],
      [{ ...ok, ad_impressions_count: '' }, 400, 'Bad event state', 'ad_impressions_count: is required'],
      [{ ...ok, ad_impressions_count: '1.5' }, 400, 'Bad event state', 'ad_impressions_count: must be a whole number'],
      [{ ...ok, ad_revenue_network: 'x'.repeat(129) }, 400, 'Bad event state', 'ad_revenue_network: longer than 128'],
      [{ ...ok, idfa: '' }, 404, 'Device not found', 'idfa: at least one device id'],
    ];
    for (const [params, status, reason, message] of cases) {
      const res = await send('/ad_revenue', token, params);
      expect(res.body, JSON.stringify(params)).toEqual({ status, message: expect.stringContaining(message), error: `Ad revenue request failed (${reason})` });
    }
    expect((await send('/ad_revenue', undefined, ok)).body).toMatchObject({ status: 401, error: 'Ad revenue request failed (Failed to authorize request)' });
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(0);
  });

  it('counts a retried event once with an Idempotency-Key', async () => {
    const { app, token, adjustToken } = await setup();
    const params = { s2s: '1', app_token: adjustToken, event_token: 'lvl5xx', gps_adid: '11111111-2222-3333-4444-555555555555' };
    for (let i = 0; i < 3; i++) expect((await send('/event', token, params, 'get', { 'idempotency-key': 'retry-1' })).status).toBe(200);
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(1);
  });

  it('keeps each Adjust app token to one app, and the CLI sets and removes tokens and event mappings', async () => {
    const first = await setup();
    const second = await setupApp(server, 'android');
    const taken = await call(`${server.url}/admin/apps/${second.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'adjust', app: first.adjustToken } });
    expect(taken).toMatchObject({ status: 409, body: { message: `app: "${first.adjustToken}" already names another app in adjust` } });
    const bad = await call(`${server.url}/admin/apps/${second.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'branch', app: 'x' } });
    expect(bad).toMatchObject({ status: 400, body: { message: 'protocol: must be one of adjust, appsflyer, apple' } });

    const env = server.db.env;
    const cliToken = appToken();
    const configured = await cliJson(['apps', 'configure', '--app', second.app.app_id, '--adjust-app-token', cliToken, '--adjust-event', 'f0ob4r=purchase', '--adjust-event', 'lvl5xx=level_5'], env);
    expect(configured.aliases).toEqual({ apps: { adjust: cliToken }, events: { adjust: { f0ob4r: 'purchase', lvl5xx: 'level_5' } } });
    const removed = await cliJson(['apps', 'configure', '--app', second.app.app_id, '--adjust-event', 'lvl5xx='], env);
    expect(removed.aliases.events).toEqual({ adjust: { f0ob4r: 'purchase' } });
    const malformed = await runCli(['apps', 'configure', '--app', second.app.app_id, '--adjust-event', 'f0ob4r'], env);
    expect(malformed).toMatchObject({ code: 1, stderr: expect.stringContaining('--adjust-event: "f0ob4r" is not TOKEN=EVENT') });
    const gone = await cliJson(['apps', 'configure', '--app', second.app.app_id, '--adjust-app-token', 'none'], env);
    expect(gone.aliases.apps).toEqual({});
    const listed = await call(`${server.url}/admin/apps/${first.app.app_id}/aliases`, { admin: true });
    expect(listed.body).toEqual({ apps: { adjust: first.adjustToken }, events: {} });
  });
});

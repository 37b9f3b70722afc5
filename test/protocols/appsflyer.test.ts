import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickOn, setupApp } from '../helpers/apps.js';
import { BACKENDS, type TestBackend } from '../helpers/backends.js';
import { cliJson } from '../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

let seq = 0;
/** A fresh AppsFlyer iOS app id (`id` and digits). */
const storeId = () => `id${Date.now()}${++seq}`;

/**
 * AppsFlyer's S2S events API for mobile as its API reference documents it: `POST
 * /inappevent/{app_id}`, the `authentication` header, a JSON body with camelCase event fields,
 * `eventValue` a JSON string, `200 OK` as text.
 */
describe.each(BACKENDS)('AppsFlyer S2S events (/inappevent/{app_id}) on $name', (backend: TestBackend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  async function setup(platform = 'ios') {
    const made = await setupApp(server, platform);
    const appsflyerId = storeId();
    const res = await call(`${server.url}/admin/apps/${made.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'appsflyer', app: appsflyerId } });
    expect(res.status).toBe(200);
    return { ...made, appsflyerId };
  }

  const post = (appId: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/inappevent/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authentication: token }), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, type: res.headers.get('content-type'), text: await res.text() }));

  it('stores the event AppsFlyer documents, with af_revenue, its currency and time, and answers OK', async () => {
    const { app, campaign, token, appsflyerId } = await setup();
    const idfa = 'ED0F7C46-D7C6-4F19-A9B3-1F6B14C7E1E2';
    const clickId = await clickOn(server, campaign.campaign_id, { idfa });
    const at = new Date(Date.now() + 1000);
    const eventTime = at.toISOString().replace('T', ' ').replace('Z', '');
    const body = {
      appsflyer_id: '1234567890123-1234567', customer_user_id: 'player-42', eventName: 'af_purchase',
      eventValue: '{"af_revenue":"6.5","af_content_type":"wallets","af_content_id":"15854"}', eventCurrency: 'EUR', eventTime,
      ip: '198.51.100.7', idfa, idfv: 'A1B2C3D4-0000-4000-8000-00000000ABCD', bundleIdentifier: 'com.example.game', af_events_api: 'true', os: '17.1',
    };
    const res = await post(appsflyerId, token, body);
    expect(res).toMatchObject({ status: 200, text: 'OK' });
    expect(res.type).toMatch(/^text\/plain/);
    // By the app's own id too; snake_case names, an empty eventValue, no time.
    expect((await post(app.app_id, token, { appsflyer_id: '1234567890123-1234567', event_name: 'af_level_achieved', event_value: '' })).text).toBe('OK');

    const events = await server.db.store.listEvents(app.app_id);
    // In time order: the purchase happened a second after the level (sent without a time).
    expect(events.map((e) => [e.kind, e.name, e.source, e.revenue, e.currency])).toEqual([
      ['event', 'af_level_achieved', 'appsflyer-inappevent', null, null],
      ['purchase', 'af_purchase', 'appsflyer-inappevent', 6.5, 'EUR'],
    ]);
    const purchase = events.find((e) => e.name === 'af_purchase')!;
    expect(purchase).toMatchObject({ occurred_at: at.getTime(), ip: '198.51.100.7', event_value: body.eventValue });
    const install = await server.db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: idfa.toLowerCase() });
    expect(install).toMatchObject({ status: 'attributed', touchpoint_id: clickId });
    // AppsFlyer's id, the vendor id and the user id all name the same user.
    for (const identity of [{ kind: 'appsflyer_id', value: '1234567890123-1234567' }, { kind: 'idfv', value: 'a1b2c3d4-0000-4000-8000-00000000abcd' }, { kind: 'user_id', value: 'player-42' }] as const) {
      expect((await server.db.store.getInstallByUser(app.app_id, identity))?.user_pk, identity.kind).toBe(install!.user_pk);
    }
  });

  it('counts a retried event once with an Idempotency-Key, and reads eventValue sent as an object', async () => {
    const { app, token, appsflyerId } = await setup('android');
    const body = { appsflyer_id: '1234567890123-7654321', advertising_id: '38400000-8cf0-11bd-b23e-10b96e40000d', eventName: 'af_purchase', eventValue: { af_revenue: 1.99 } };
    for (let i = 0; i < 3; i++) expect((await post(appsflyerId, token, body, { 'idempotency-key': 'af-retry-1' })).status).toBe(200);
    const events = await server.db.store.listEvents(app.app_id);
    expect(events.map((e) => [e.name, e.revenue, e.currency, e.event_value])).toEqual([['af_purchase', 1.99, 'USD', '{"af_revenue":1.99}']]);
  });

  it('refuses what AppsFlyer refuses, as JSON naming the field with its words, and stores nothing', async () => {
    const { app, token, appsflyerId } = await setup();
    const other = await setup();
    const ok = { appsflyer_id: '1234567890123-1234567', eventName: 'af_purchase', eventValue: '{"af_revenue":"1"}' };
    const cases: [string, string | undefined, unknown, number, string, string][] = [
      [appsflyerId, undefined, ok, 401, 'Unauthorized', 'authentication: is required'],
      [appsflyerId, 'wrong', ok, 401, 'Unauthorized', 'authentication: is not a valid token'],
      // The key of another app is not this app's key.
      [appsflyerId, other.token, ok, 401, 'Unauthorized', `app_id: this token may not write to app ${app.app_id}`],
      ['id000', token, ok, 404, 'Not Found', 'app_id: no app has the id or AppsFlyer app id "id000"'],
      [appsflyerId, token, { ...ok, appsflyer_id: undefined }, 400, 'appsflyer_id is a mandatory field', 'appsflyer_id: is a mandatory field'],
      [appsflyerId, token, { ...ok, appsflyer_id: 'not an id' }, 400, 'appsflyer_id is a mandatory field', 'appsflyer_id: must be an AppsFlyer id'],
      [appsflyerId, token, { ...ok, eventName: '' }, 400, 'Bad request', 'eventName: is required'],
      [appsflyerId, token, { ...ok, eventValue: '{not json' }, 400, 'Bad request', 'eventValue: must be a JSON object as a string'],
      [appsflyerId, token, { ...ok, eventValue: '[1]' }, 400, 'Bad request', 'eventValue: must be a JSON object'],
      [appsflyerId, token, { ...ok, eventValue: '{"af_revenue":"-6"}' }, 400, 'Bad request', 'af_revenue: must be at least 0'],
      [appsflyerId, token, { ...ok, eventValue: '{"af_revenue":"lots"}' }, 400, 'Bad request', 'af_revenue: must be a number'],
      [appsflyerId, token, { ...ok, eventCurrency: 'euros' }, 400, 'Bad request', 'eventCurrency: must be a 3-letter currency code'],
      [appsflyerId, token, { ...ok, eventTime: '15/05/2019' }, 400, 'Bad request', 'eventTime: "15/05/2019" is not a UTC time'],
      [appsflyerId, token, { ...ok, eventTime: '2019-02-30 12:00:00.000' }, 400, 'Bad request', 'eventTime: "2019-02-30 12:00:00.000" is not a UTC time'],
      [appsflyerId, token, { ...ok, eventTime: '2099-01-01 00:00:00.000' }, 400, 'Bad request', 'eventTime: '],
      [appsflyerId, token, { ...ok, ip: '999.1.1.1' }, 400, 'Bad request', 'ip: "999.1.1.1" is not an IP address'],
      [appsflyerId, token, '{"appsflyer_id":', 400, 'Payload is missing or failed to parse', 'body: '],
      [appsflyerId, token, '[1,2]', 400, 'Payload is missing or failed to parse', 'body: '],
    ];
    for (const [appId, auth, body, status, words, message] of cases) {
      const res = await post(appId, auth, body);
      const label = `${appId} ${JSON.stringify(body)}`;
      expect(res.status, label).toBe(status);
      const answer = JSON.parse(res.text);
      expect(answer, label).toEqual({ status, message: expect.any(String), error: words });
      expect(answer.message.startsWith(message), `${label}: ${answer.message}`).toBe(true);
    }
    expect((await fetch(`${server.url}/inappevent/${appsflyerId}`)).status).toBe(405);
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(0);
    expect(await server.db.store.listInstalls(app.app_id)).toHaveLength(0);
  });

  it('sets and removes the AppsFlyer app id from the CLI; an id names one app; AppsFlyer has no event aliases', async () => {
    const { app } = await setup();
    const id = storeId();
    const configured = await cliJson(['apps', 'configure', '--app', app.app_id, '--appsflyer-app-id', id], server.db.env);
    expect(configured.aliases.apps).toMatchObject({ appsflyer: id });
    const second = await setupApp(server, 'ios');
    const taken = await call(`${server.url}/admin/apps/${second.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'appsflyer', app: id } });
    expect(taken.status).toBe(409);
    const events = await call(`${server.url}/admin/apps/${app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'appsflyer', events: { af_purchase: 'purchase' } } });
    expect(events).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^events: appsflyer events carry their own names/) } });
    const removed = await cliJson(['apps', 'configure', '--app', app.app_id, '--appsflyer-app-id', 'none'], server.db.env);
    expect(removed.aliases.apps.appsflyer).toBeUndefined();
  });
});

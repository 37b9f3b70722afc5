import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickOn, setupApp } from '../helpers/apps.js';
import { BACKENDS } from '../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

describe.each(BACKENDS)('Swaarm S2S receiver (/postback, /s2sevent) on $name', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  const setup = (platform?: string, settings?: Record<string, unknown>) => setupApp(server, platform, settings);
  const click = (campaignId: string, query?: Record<string, string>) => clickOn(server, campaignId, query);

  async function s2sevent(token: string, query: Record<string, string>) {
    return call(`${server.url}/s2sevent?${new URLSearchParams({ token, ...query })}`);
  }

  it('attributes by IP + user agent (fingerprint) on /s2sevent and answers the attribution', async () => {
    const { campaign, token } = await setup();
    const clickId = await click(campaign.campaign_id, { user_ip: '203.0.113.10', user_ua: 'Mozilla/5.0 (Linux; Android 14)' });
    const res = await s2sevent(token, { user_id: 'web-user-1', event_id: '', user_ip: '203.0.113.10', user_ua: 'Mozilla/5.0 (Linux; Android 14)' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 200,
      message: 'OK',
      attribution: { status: 'attributed', match_type: 'fingerprint', campaign_id: campaign.campaign_id, network: 'chartboost', click_id: clickId },
    });
    // Another UA from the same IP is someone else: organic.
    const other = await s2sevent(token, { user_id: 'web-user-2', user_ip: '203.0.113.10', user_ua: 'curl/8' });
    expect(other.body.attribution).toMatchObject({ status: 'organic', match_type: 'organic', campaign_id: null });
  });

  it('takes a click id passed as user_id (Swaarm web flow), counts one install per user, and stores events', async () => {
    const { app, campaign, token } = await setup();
    const clickId = await click(campaign.campaign_id, { user_ip: '198.51.100.20' });
    for (let i = 0; i < 3; i++) {
      const res = await call(`${server.url}/postback?s2s_token=${token}&user_id=${clickId}&event_id=register`);
      expect(res).toMatchObject({ status: 200, body: { status: 200, message: 'OK' } });
    }
    const purchase = await call(`${server.url}/postback?user_id=${clickId}&event_id=purchase&sale_amount=4.99&sale_amount_currency=eur&event_value=${encodeURIComponent('{"sku":"gems"}')}`, {
      method: 'POST',
      headers: { authorization: token },
    });
    expect(purchase.status).toBe(200);
    const installs = await server.db.store.listInstalls(app.app_id);
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatchObject({ status: 'attributed', match_type: 'click_id', touchpoint_id: clickId, campaign_id: campaign.campaign_id, source: 'swaarm-postback' });
    const events = await server.db.store.listEvents(app.app_id);
    expect(events.map((e) => [e.kind, e.name])).toEqual([
      ['event', 'register'],
      ['event', 'register'],
      ['event', 'register'],
      ['purchase', 'purchase'],
    ]);
    expect(events[3]).toMatchObject({ revenue: 4.99, currency: 'EUR', event_value: '{"sku":"gems"}' });
  });

  it('counts a retried event once when it carries an Idempotency-Key or event_uid', async () => {
    const { app, token } = await setup();
    for (let i = 0; i < 3; i++) {
      await call(`${server.url}/postback?s2s_token=${token}&user_id=u1&event_id=buy&sale_amount=1`, { headers: { 'idempotency-key': 'k-1' } });
      await call(`${server.url}/postback?s2s_token=${token}&user_id=u1&event_id=buy&sale_amount=1&event_uid=order-9`);
    }
    expect(await server.db.store.listEvents(app.app_id)).toHaveLength(2);
  });
});

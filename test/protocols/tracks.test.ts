/**
 * Must hold 4 of issue 18: a `/measure` batch is stored whole or not at all, and a 503 means
 * nothing of it was stored; the documented 1 000-event batch fits the route's body limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickOn, setupApp } from '../helpers/apps.js';
import { BACKENDS } from '../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

function event(i: number, prefix: string) {
  return {
    user_id: `${prefix}-${i}`,
    event_name: i % 3 === 0 ? 'game_open' : 'level_complete',
    ip: `198.51.100.${i % 250}`,
    time_stamp: Math.floor(Date.now() / 1000) - 60,
    platform: 'pc',
    storefront: 'steam',
    user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
    revenue: i % 10 === 0 ? 4.99 : undefined,
    currency: i % 10 === 0 ? 'EUR' : undefined,
    event_uid: `${prefix}-uid-${i}`,
  };
}

/** An event with every field the route reads at its longest. */
function longestEvent(i: number) {
  const pad = (s: string, n: number) => (s + '-').padEnd(n, 'x');
  return {
    user_id: pad(`u${i}`, 256),
    event_name: pad(`e${i}`, 256),
    ip: '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    time_stamp: Math.floor(Date.now() / 1000) - 60,
    platform: pad('pc', 32),
    storefront: pad('steam', 32),
    user_agent: pad('UA', 1024),
    revenue: 123456.789,
    currency: 'USD',
    click_id: pad(`c${i}`, 64),
    clkid: pad(`k${i}`, 64),
    event_uid: pad(`uid${i}`, 200),
    transaction_id: pad(`t${i}`, 200),
  };
}

describe.each(BACKENDS)(
  '/measure batches on $name',
  (backend) => {
    let server: TestServer;
    let appId: string;
    let token: string;
    const auth = () => ({ authorization: `Bearer ${token}` });

    async function start(env: Record<string, string>): Promise<void> {
      await server?.close();
      server = await startTestServer(backend, { LOG_LEVEL: 'warn', ...env });
      appId = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'M', platform: 'pc' } })).body.app_id;
      token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [appId] } })).body.token;
    }

    beforeAll(async () => {
      // Records wait up to a second for companions, and at most 20 may wait: the queue fills.
      await start({ S2S_WRITE_QUEUE_LIMIT: '20', S2S_WRITE_BATCH_MS: '1000' });
    });
    afterAll(async () => {
      await server?.close();
    });

    async function stored(prefix: string): Promise<number> {
      await server.services.ingest.flush();
      const events = await server.db.store.listEvents(appId);
      return events.filter((e) => e.dedup_key?.startsWith(`uid:${prefix}-`)).length;
    }

    it('refuses a batch larger than the room left in the write queue with 503, storing none of it', async () => {
      // Fifteen single events wait in the queue (a one-second batch delay) ...
      const singles = Array.from({ length: 15 }, (_, i) => call(`${server.url}/measure`, { body: event(i, 'single'), headers: auth() }));
      await expect.poll(() => server.services.ingest.depth, { timeout: 900, interval: 5 }).toBe(15);
      // ... so a batch of ten does not fit the five places left.
      const batch = await call(`${server.url}/measure`, { body: Array.from({ length: 10 }, (_, i) => event(i, 'refused')), headers: auth() });
      expect(batch.status).toBe(503);
      expect(batch.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await Promise.all(singles)).map((r) => r.status)).toEqual(singles.map(() => 200));
      expect(await stored('refused')).toBe(0);
      expect(await stored('single')).toBe(15);
      // Retried as told, once there is room: stored once, whole.
      const retried = await call(`${server.url}/measure`, { body: Array.from({ length: 10 }, (_, i) => event(i, 'refused')), headers: auth() });
      expect(retried.status).toBe(200);
      expect(await stored('refused')).toBe(10);
    });

    it('accepts a realistic 1 000-event batch in one request, and 1 000 events of the longest fields', async () => {
      await start({}); // the default limits
      const realistic = await call(`${server.url}/measure`, { body: Array.from({ length: 1000 }, (_, i) => event(i, 'big')), headers: auth() });
      expect(realistic.status).toBe(200);
      expect(realistic.body).toMatchObject({ accepted: 1000, errors: [] });
      expect(await stored('big')).toBe(1000);
      const longest = await call(`${server.url}/measure`, { body: Array.from({ length: 1000 }, (_, i) => longestEvent(i)), headers: auth() });
      expect(longest.status).toBe(200);
      expect(longest.body).toMatchObject({ accepted: 1000, errors: [] });
    }, 60_000);

    it('refuses a body past the route limit with a JSON 413 naming the body', async () => {
      const huge = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ ...longestEvent(i), padding: 'p'.repeat(4000) })));
      const res = await call(`${server.url}/measure`, { rawBody: huge, headers: { ...auth(), 'content-type': 'application/json' } });
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ status: 413, message: expect.stringMatching(/^body: /) });
    });
  },
);

describe.each(BACKENDS)('TRACKS /measure on $name', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
  });

  const setup = (platform?: string, settings?: Record<string, unknown>) => setupApp(server, platform, settings);
  const click = (campaignId: string, query?: Record<string, string>) => clickOn(server, campaignId, query);

  it('attributes a PC game_open (TRACKS) to a click from the same IP and platform', async () => {
    const { app, campaign, token } = await setup('pc');
    const clickId = await click(campaign.campaign_id, { user_ip: '192.0.2.77', platform: 'pc', storefront: 'steam', user_ua: 'Mozilla/5.0 (Windows NT 10.0)' });
    const body = { user_id: '1a23fd44c21f8l5r', event_name: 'game_open', ip: '192.0.2.77', time_stamp: String(Math.floor(Date.now() / 1000) + 1), platform: 'pc', storefront: 'steam' };
    // The seed's own example posts a form.
    const res = await call(`${server.url}/measure`, {
      rawBody: new URLSearchParams(body).toString(),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res).toMatchObject({ status: 200, body: { status: 200, message: 'OK' } });
    const install = await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: '1a23fd44c21f8l5r' });
    expect(install).toMatchObject({ status: 'attributed', match_type: 'ip', touchpoint_id: clickId, platform: 'pc', source: 'tracks-measure' });
    const events = await server.db.store.listEvents(app.app_id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'open', name: 'game_open', occurred_at: Number(body.time_stamp) * 1000 });

    // A player on another storefront from that IP is not that click's.
    await call(`${server.url}/measure`, { body: { ...body, user_id: 'p2', storefront: 'epic' }, headers: { authorization: `Bearer ${token}` } });
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: 'p2' })).toMatchObject({ status: 'organic' });
  });

  it('answers a TRACKS batch with the invalid items by index and the fields they lack, storing the valid ones', async () => {
    const { app, token } = await setup('pc');
    const good = { user_id: 'b1', event_name: 'level_up', ip: '192.0.2.1', time_stamp: Math.floor(Date.now() / 1000), platform: 'pc', storefront: 'steam' };
    const res = await call(`${server.url}/measure`, {
      body: [good, { ...good, user_id: 'b2', ip: undefined, platform: '' }, 'nonsense', { ...good, user_id: 'b3', time_stamp: 'yesterday' }],
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(1);
    expect(res.body.errors).toEqual([
      { index: 1, message: 'ip: is required (also missing: platform)', fields: ['ip', 'platform'] },
      { index: 2, message: 'item: must be an object', fields: ['user_id', 'event_name', 'ip', 'time_stamp', 'platform', 'storefront'] },
      { index: 3, message: 'time_stamp: must be a number', fields: [] },
    ]);
    expect((await server.db.store.listEvents(app.app_id)).map((e) => e.name)).toEqual(['level_up']);

    const allBad = await call(`${server.url}/measure`, { body: [{}], headers: { authorization: `Bearer ${token}` } });
    expect(allBad.status).toBe(400);
    expect(allBad.body.errors[0].fields).toEqual(['user_id', 'event_name', 'ip', 'time_stamp', 'platform', 'storefront']);
  });
});

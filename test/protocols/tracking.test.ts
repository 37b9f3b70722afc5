import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

describe.each(BACKENDS)('tracking links (/click, /view) on $name', (backend) => {
  let server: TestServer;
  let app: any;
  let play: any;
  let campaign: any;
  let playCampaign: any;
  let token: any;

  beforeAll(async () => {
    server = await startTestServer(backend, { S2S_TRUST_PROXY: '127.0.0.2/32' });
    app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'ios', store_url: 'https://apps.apple.com/app/id123?l=en' } })).body;
    play = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'android', store_url: 'https://play.google.com/store/apps/details?id=com.gems' } })).body;
    campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'L' } })).body;
    playCampaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: play.app_id, network: 'swaarm', name: 'P' } })).body;
    token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body;
  });
  afterAll(async () => {
    await server.close();
  });

  it('records a click with device, network and publisher fields and redirects to the store, URL-encoded', async () => {
    const query = new URLSearchParams({
      campaign_id: campaign.campaign_id,
      idfa: '8DF6C9BF-D647-4400-BC13-7FF317FF0004',
      user_ip: '203.0.113.5',
      user_ua: 'Mozilla/5.0 (iPhone)',
      site_id: 'pub-app',
      publisher: 'Pub & Co',
      sub1: 'a b',
      sub5: 'ünï',
    });
    const res = await fetch(`${server.url}/click?${query}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = res.headers.get('location')!;
    const target = new URL(location);
    expect(`${target.origin}${target.pathname}`).toBe('https://apps.apple.com/app/id123');
    expect(target.searchParams.get('l')).toBe('en');
    const clickId = target.searchParams.get('click_id')!;
    expect(clickId).toMatch(/^[0-9a-f]{24}$/);
    // Swaarm's landing pages read the click id as clkid (seed 001).
    expect(target.searchParams.get('clkid')).toBe(clickId);
    expect(location).not.toMatch(/[\s<>"]/);

    // Answered only after the commit: the row is there now.
    const stored = await server.db.store.getTouchpoint(clickId);
    expect(stored).toMatchObject({
      kind: 'click',
      app_id: app.app_id,
      campaign_id: campaign.campaign_id,
      network: 'chartboost',
      idfa: '8df6c9bf-d647-4400-bc13-7ff317ff0004',
      ip: '203.0.113.5',
      user_agent: 'Mozilla/5.0 (iPhone)',
      site_id: 'pub-app',
      publisher: 'Pub & Co',
      sub1: 'a b',
      sub5: 'ünï',
    });
  });

  it('parses store URLs when an app is added: one that cannot be parsed is a 400 naming store_url', async () => {
    for (const store_url of ['http://[oops', 'https://apps.apple.com:99999/x', 'ftp://apps.example/x']) {
      const res = await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Bad', platform: 'ios', store_url } });
      expect(res.status, store_url).toBe(400);
      expect(res.body.message, store_url).toMatch(/^store_url: /);
    }
  });

  it('puts the click id in the Google Play install referrer too', async () => {
    const res = await fetch(`${server.url}/click?campaign_id=${playCampaign.campaign_id}&gaid=abc`, { redirect: 'manual' });
    const target = new URL(res.headers.get('location')!);
    expect(target.searchParams.get('id')).toBe('com.gems');
    expect(target.searchParams.get('referrer')).toBe(`click_id=${target.searchParams.get('click_id')}`);
  });

  it('answers {"id"} with no_redirect=true, and takes the IP and UA from the connection when not given', async () => {
    const res = await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true`, {
      headers: { 'user-agent': 'Chartboost-Callbacks', 'x-forwarded-for': '198.51.100.77' },
    });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['id']);
    const stored = await server.db.store.getTouchpoint(res.body.id);
    // 127.0.0.1 is not a trusted proxy here, so X-Forwarded-For is ignored.
    expect(stored).toMatchObject({ ip: '127.0.0.1', user_agent: 'Chartboost-Callbacks' });
  });

  it("accepts Swaarm's s2stoken form without a campaign: a click that identifies but credits no one", async () => {
    const res = await call(`${server.url}/click?no_redirect=true&user_ip=192.0.2.44&user_ua=UA&s2stoken=${token.token}`);
    expect(res.status).toBe(200);
    expect(await server.db.store.getTouchpoint(res.body.id)).toMatchObject({ app_id: app.app_id, campaign_id: null, network: null, ip: '192.0.2.44' });
    expect((await call(`${server.url}/click?no_redirect=true&s2stoken=nope`)).status).toBe(401);
  });

  it('records completed views', async () => {
    const res = await call(`${server.url}/view?campaign_id=${campaign.campaign_id}&idfa=AA`);
    expect(res.status).toBe(200);
    expect(await server.db.store.getTouchpoint(res.body.id)).toMatchObject({ kind: 'view', idfa: 'aa', campaign_id: campaign.campaign_id });
  });

  it('shares commits between concurrent requests, and answers each only once its row is stored', async () => {
    const commits = async (): Promise<number> => {
      const text = (await call(`${server.url}/metrics`)).body as string;
      return Number(/s2s_write_batch_size_count\{outcome="committed"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await commits();
    const ids = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const res = await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true`);
        // Checked the moment the answer arrives: a 200 means committed.
        expect(await server.db.store.getTouchpoint(res.body.id)).toBeDefined();
        return res.body.id as string;
      }),
    );
    expect(new Set(ids).size).toBe(300);
    const used = (await commits()) - before;
    expect(used).toBeGreaterThan(0);
    // SQLite has one writer, so requests arriving during a commit all share the next one;
    // PostgreSQL runs up to four commits side by side, so at this light load its batches are
    // smaller, yet still fewer commits than requests.
    expect(used).toBeLessThan(server.db.store.writeConcurrency === 1 ? 150 : 300);
  });

  it('answers a retried click with the same Idempotency-Key with the first id, storing one click', async () => {
    const send = () => call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&sub1=k`, { headers: { 'idempotency-key': 'retry-me-1' } });
    const concurrent = await Promise.all([send(), send(), send()]);
    const later = await send();
    const ids = new Set([...concurrent, later].map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const other = await call(`${server.url}/click?campaign_id=${campaign.campaign_id}&no_redirect=true`, { headers: { 'idempotency-key': 'retry-me-2' } });
    expect(other.body.id).not.toBe([...ids][0]);
    expect(await server.db.store.getTouchpoint([...ids][0]!)).toBeDefined();
  });

  it('refuses bad input with a 4xx naming the field', async () => {
    const cases: [string, number, string][] = [
      ['/click', 400, 'campaign_id: is required'],
      ['/click?campaign_id=xyz', 400, 'campaign_id: "xyz" is not a campaign id'],
      [`/click?campaign_id=${'0'.repeat(24)}`, 404, 'campaign_id: unknown campaign'],
      [`/click?campaign_id=${campaign.campaign_id}&user_ip=999.1.1.1`, 400, 'user_ip: "999.1.1.1" is not an IP address'],
      [`/click?campaign_id=${campaign.campaign_id}&sub1=a&sub1=b`, 400, 'sub1: sent more than once with different values'],
      [`/click?campaign_id=${campaign.campaign_id}&sub1=${'x'.repeat(600)}`, 400, 'sub1: longer than 512 characters'],
      [`/view?campaign_id=${campaign.campaign_id}&s2stoken=${token.token}x`, 401, 's2stoken: is not a valid token'],
    ];
    for (const [path, status, message] of cases) {
      const res = await call(`${server.url}${path}`);
      expect(res.status, path).toBe(status);
      expect(res.body).toEqual({ status, message: expect.stringContaining(message) });
    }
  });
});

describe('trusted proxies', () => {
  it('takes the client IP from X-Forwarded-For only when the peer is a configured proxy', async () => {
    const server = await startTestServer(BACKENDS[0]!, { S2S_TRUST_PROXY: '127.0.0.0/8' });
    try {
      const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'A', platform: 'ios' } })).body;
      const c = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'cb', name: 'c' } })).body;
      const res = await call(`${server.url}/click?campaign_id=${c.campaign_id}`, { headers: { 'x-forwarded-for': '198.51.100.77' } });
      expect(res.status).toBe(200); // no store URL: the id is answered
      expect(await server.db.store.getTouchpoint(res.body.id)).toMatchObject({ ip: '198.51.100.77' });
    } finally {
      await server.close();
    }
  });
});

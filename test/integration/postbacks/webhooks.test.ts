import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { startReceiver, type Received, type Receiver } from '../../helpers/receiver.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

/** The receiver's check, as docs/webhooks.md gives it for Node. */
function verify(secret: string, header: string | undefined, body: string, nowSeconds = Date.now() / 1000): boolean {
  const { t, v1 } = Object.fromEntries((header ?? '').split(',').map((kv) => kv.split('=')));
  if (!t || !v1 || Math.abs(nowSeconds - Number(t)) > 300) return false;
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === mac.length && timingSafeEqual(given, mac);
}

function records(requests: Received[]): any[] {
  return requests.flatMap((r) => JSON.parse(r.body).records);
}

describe.each(BACKENDS)('event webhooks on $name', (backend) => {
  let server: TestServer;
  const receivers: Receiver[] = [];
  let seq = 0;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_RETRY_BASE_MS: '100', S2S_DISPATCH_POLL_MS: '20' });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  }

  async function setup() {
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: `w${++seq}`, platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'c' } })).body;
    const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token as string;
    return { app, campaign, token };
  }

  async function addWebhook(body: Record<string, unknown>) {
    const res = await call(`${server.url}/admin/webhooks`, { admin: true, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }

  it('POSTs each install and purchase as a signed record that fails verification once altered or replayed', async () => {
    const r = await receiver();
    const s = await setup();
    const hook = await addWebhook({ app_id: s.app.app_id, url: `${r.url}/hooks/s2s` });
    expect(hook).toMatchObject({ app_id: s.app.app_id, url: `${r.url}/hooks/s2s`, events: null, batch_size: 1, schema: 's2s.webhook.v1' });
    expect(hook.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const click = (await call(`${server.url}/click?campaign_id=${s.campaign.campaign_id}&no_redirect=true&gaid=wh-1`)).body.id;
    expect((await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=wh-1`)).status).toBe(200);
    expect((await call(`${server.url}/postback?s2s_token=${s.token}&user_id=buyer-1&gaid=wh-1&event_id=purchase&sale_amount=2.99&sale_amount_currency=USD`)).status).toBe(200);
    // The open is the install and an open; then the purchase.
    await r.waitFor(3);

    for (const req of r.requests) {
      expect(req).toMatchObject({ method: 'POST', url: '/hooks/s2s' });
      expect(req.headers['content-type']).toBe('application/json');
      expect(verify(hook.secret, req.headers['s2s-signature'] as string, req.body)).toBe(true);
      expect(verify(hook.secret, req.headers['s2s-signature'] as string, req.body.replace('"records"', '"records" '))).toBe(false);
      expect(verify(hook.secret, req.headers['s2s-signature'] as string, req.body, Date.now() / 1000 + 3600)).toBe(false);
      expect(verify('not-the-secret-000000', req.headers['s2s-signature'] as string, req.body)).toBe(false);
      expect(JSON.parse(req.body)).toMatchObject({ schema: 's2s.webhook.v1', webhook_id: hook.webhook_id });
    }
    const byType = Object.fromEntries(records(r.requests).map((x) => [x.type, x]));
    expect(Object.keys(byType).sort()).toEqual(['install', 'open', 'purchase']);
    const { install, open, purchase } = byType;
    expect(open).toMatchObject({ name: 'open', install_id: install.id, revenue: null });
    expect(install).toMatchObject({ type: 'install', app_id: s.app.app_id, status: 'attributed', campaign_id: s.campaign.campaign_id, network: 'chartboost', match_type: 'device_id', touchpoint_id: click, device_ids: { gaid: 'wh-1' } });
    expect(purchase).toMatchObject({ type: 'purchase', name: 'purchase', revenue: 2.99, currency: 'USD', revenue_usd: 2.99, install_id: install.id, campaign_id: s.campaign.campaign_id });

    const log = async () => (await call(`${server.url}/admin/webhooks/${hook.webhook_id}/deliveries`, { admin: true })).body.deliveries;
    await expect.poll(async () => (await log()).map((d: any) => [d.trigger, d.status]).sort()).toEqual([['install', 'delivered'], ['open', 'delivered'], ['purchase', 'delivered']]);
    // Webhooks are not among the networks' postbacks.
    expect((await call(`${server.url}/admin/postbacks?app_id=${s.app.app_id}`, { admin: true })).body.postbacks).toEqual([]);
  });

  it('sends up to batch_size records of one claim in one request, and retries a failed one re-signed', async () => {
    const r = await receiver((_req, i) => ({ status: i === 0 ? 503 : 200 }));
    const s = await setup();
    const hook = await addWebhook({ app_id: s.app.app_id, url: r.url, secret: 'a-secret-of-my-own-choosing', batch_size: 3, events: ['install'] });
    await server.services.dispatcher.stop();
    try {
      for (let i = 0; i < 5; i++) expect((await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=batch-${i}`)).status).toBe(200);
    } finally {
      server.services.dispatcher.start();
    }
    await r.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const sizes = r.requests.map((q) => JSON.parse(q.body).records.length);
    // The first request (3 records) was answered 503 and sent again, signed anew.
    expect(sizes.slice(0, 2).sort()).toEqual([2, 3]);
    expect(sizes.slice(2)).toEqual([sizes[0]]);
    for (const req of r.requests) expect(verify('a-secret-of-my-own-choosing', req.headers['s2s-signature'] as string, req.body)).toBe(true);
    const ids = new Set(records(r.requests.filter((_q, i) => i > 0)).map((x) => x.id));
    expect(ids.size).toBe(5);
    const deliveries = async () => (await call(`${server.url}/admin/deliveries?postback_id=${hook.webhook_id}`, { admin: true })).body.deliveries;
    await expect.poll(async () => (await deliveries()).map((d: any) => d.status)).toEqual(Array(5).fill('delivered'));
    const log = await deliveries();
    expect(log.filter((d: any) => d.attempts === 2)).toHaveLength(sizes[0]);
  });

  it('sends a rejection record when the network later rejects an install, once', async () => {
    const r = await receiver();
    const s = await setup();
    const hook = await addWebhook({ app_id: s.app.app_id, url: r.url, events: ['install', 'rejection'] });
    const click = (await call(`${server.url}/click?campaign_id=${s.campaign.campaign_id}&no_redirect=true&gaid=rj-1`)).body.id;
    expect((await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=rj-1`)).status).toBe(200);
    await r.waitFor(1);
    // Chartboost's own word about its click (seed 003), sent twice: the second changes nothing.
    for (let i = 0; i < 2; i++) {
      const rejected = await call(`${server.url}/api/v2/open`, { body: { token: s.token, app_id: s.app.app_id, gaid: 'rj-1', click_id: click, rejected_reason: 'ctit_too_short', rejected_value: '3s' } });
      expect(rejected.status).toBe(200);
    }
    await r.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const sent = records(r.requests);
    expect(sent.map((x) => x.type)).toEqual(['install', 'rejection']);
    expect(sent[1]).toMatchObject({ id: `${sent[0].id}-rejection`, install_id: sent[0].id, status: 'rejected', rejected_reason: 'ctit_too_short', campaign_id: s.campaign.campaign_id, touchpoint_id: click });
    for (const req of r.requests) expect(verify(hook.secret, req.headers['s2s-signature'] as string, req.body)).toBe(true);
    // The user's erasure takes the rejection's delivery with the install's.
    const forgotten = await call(`${server.url}/admin/forget`, { admin: true, body: { app_id: s.app.app_id, devices: ['rj-1'] } });
    expect(forgotten.status, JSON.stringify(forgotten.body)).toBe(200);
    expect((await call(`${server.url}/admin/webhooks/${hook.webhook_id}/deliveries`, { admin: true })).body.deliveries).toEqual([]);
  });

  it('refuses bad webhooks with a 4xx naming the field', async () => {
    const s = await setup();
    const bad = async (body: Record<string, unknown>) => {
      const res = await call(`${server.url}/admin/webhooks`, { admin: true, body: { app_id: s.app.app_id, url: 'https://w.example/in', ...body } });
      return `${res.status} ${res.body.message}`;
    };
    expect(await bad({ url: 'not a url' })).toMatch(/^400 url: /);
    expect(await bad({ url: 'ftp://w.example' })).toMatch(/^400 url: /);
    expect(await bad({ secret: 'short' })).toMatch(/^400 .*secret/);
    expect(await bad({ batch_size: 0 })).toMatch(/^400 .*batch_size/);
    expect(await bad({ batch_size: 101 })).toMatch(/^400 .*batch_size/);
    expect(await bad({ events: [] })).toMatch(/^400 .*events/);
    expect(await bad({ network: 'x' })).toMatch(/^400 .*network/);
    expect(await bad({ app_id: 'f'.repeat(24) })).toMatch(/^404 app_id: /);
    expect((await call(`${server.url}/admin/webhooks/${'f'.repeat(24)}`, { admin: true, method: 'DELETE' })).status).toBe(404);
    expect((await call(`${server.url}/admin/webhooks`, { body: { app_id: s.app.app_id, url: 'https://w.example' } })).status).toBe(401);
  });

  it('is managed from the CLI: add, list, log, remove', async () => {
    const s = await setup();
    const added = await cliJson(['webhooks', 'add', '--app', s.app.app_id, '--url', 'https://warehouse.example/s2s', '--events', 'install,purchase', '--batch', '50', '--json'], server.db.env);
    expect(added).toMatchObject({ url: 'https://warehouse.example/s2s', events: 'install,purchase', batch_size: 50 });
    expect(added.secret.length).toBeGreaterThanOrEqual(43);
    const listed = await cliJson(['webhooks', 'list', '--app', s.app.app_id, '--json'], server.db.env);
    expect(listed.webhooks).toEqual([expect.objectContaining({ webhook_id: added.webhook_id, events: ['install', 'purchase'], batch_size: 50 })]);
    expect(JSON.stringify(listed)).not.toContain(added.secret);
    expect((await cliJson(['webhooks', 'log', added.webhook_id, '--json'], server.db.env)).deliveries).toEqual([]);
    expect(await runCli(['webhooks', 'add', '--app', s.app.app_id, '--url', 'https://w.example', '--batch', '0'], server.db.env)).toMatchObject({ code: 1 });
    expect((await runCli(['webhooks', 'remove', added.webhook_id], server.db.env)).code).toBe(0);
    expect(await runCli(['webhooks', 'remove', added.webhook_id], server.db.env)).toMatchObject({ code: 1, stderr: `error: webhook_id: no active webhook ${added.webhook_id}\n` });
    expect((await cliJson(['webhooks', 'list', '--app', s.app.app_id, '--json'], server.db.env)).webhooks).toEqual([]);
  });
});

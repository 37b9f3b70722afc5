import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyBatch } from '../../../src/ingest/apply-batch.js';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli, startServerProcess, type ServerProcess } from '../../helpers/cli.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

/** Chartboost's signature, computed here independently of the server's own code. */
function chartboostSignature(action: string, secret: string, appSignature: string, body: string): string {
  return createHash('sha256').update(`action:${action}\n${secret}\n${appSignature}\n${body}`).digest('hex');
}

describe.each(BACKENDS)('outbound postbacks on $name', (backend) => {
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

  async function setup(postback: Record<string, unknown>) {
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: `a${++seq}`, platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'c' } })).body;
    const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
    const pb = await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', ...postback } });
    expect(pb.status, JSON.stringify(pb.body)).toBe(201);
    return { app, campaign, token, postback: pb.body };
  }

  async function attributedOpen(s: { app: any; campaign: any; token: string }, gaid: string, networkClickId?: string) {
    const query = new URLSearchParams({ campaign_id: s.campaign.campaign_id, no_redirect: 'true', gaid, ...(networkClickId ? { click_id: networkClickId } : {}) });
    const clickId = (await call(`${server.url}/click?${query}`)).body.id;
    const res = await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=${gaid}`);
    expect(res.status).toBe(200);
    return clickId as string;
  }

  async function deliveries(appId: string) {
    return (await call(`${server.url}/admin/deliveries?app_id=${appId}`, { admin: true })).body.deliveries as any[];
  }

  it('retries 503s with growing gaps and records every attempt', async () => {
    const r = await receiver((_req, i) => ({ status: i < 2 ? 503 : 200 }));
    const s = await setup({ format: 'chartboost-v2', url: r.url, token: 'cb-token', events: ['install'] });
    const clickId = await attributedOpen(s, 'retry-1', 'cb-click-1');
    const got = await r.waitFor(3);
    expect(got.map((g) => g.url)).toEqual(Array(3).fill('/api/v2/attributed_install'));
    expect(JSON.parse(got[0]!.body)).toEqual({ token: 'cb-token', click_id: 'cb-click-1' });
    const gap1 = got[1]!.at - got[0]!.at;
    const gap2 = got[2]!.at - got[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(100);
    expect(gap2).toBeGreaterThanOrEqual(200);
    expect(gap2).toBeGreaterThan(gap1);
    await expect.poll(async () => (await deliveries(s.app.app_id))[0]?.status).toBe('delivered');
    const [d] = await deliveries(s.app.app_id);
    const detail = await call(`${server.url}/admin/deliveries/${d.delivery_id}`, { admin: true });
    expect(detail.body.attempts_log.map((a: any) => a.status_code)).toEqual([503, 503, 200]);
    expect(detail.body.attempts_log[0].response_start).toBe('{"status":503}');
    // The CLI shows the same attempts: `postbacks show`, and `postbacks log --attempts`.
    const shown = await cliJson(['postbacks', 'show', d.delivery_id], server.db.env);
    expect(shown.attempts_log).toEqual(detail.body.attempts_log);
    const table = await runCli(['postbacks', 'show', d.delivery_id], server.db.env);
    expect(table.stdout).toMatch(/\nattempts\ndelivery_id\s+attempted_at\s+status\s+latency_ms\s+error\s+answer\n/);
    expect(table.stdout.match(new RegExp(`${d.delivery_id}\\s+\\S+\\s+503`, 'g'))).toHaveLength(2);
    const log = await cliJson(['postbacks', 'log', '--app', s.app.app_id, '--attempts'], server.db.env);
    expect(log.deliveries[0].attempts_log.map((a: any) => a.status_code)).toEqual([503, 503, 200]);
    expect(await runCli(['postbacks', 'show', 'f'.repeat(24)], server.db.env)).toMatchObject({ code: 1, stderr: `error: delivery_id: unknown delivery ${'f'.repeat(24)}\n` });
    expect((await call(`${server.url}/admin/deliveries/${'f'.repeat(24)}`, { admin: true })).body).toEqual({ status: 404, message: `delivery_id: unknown delivery ${'f'.repeat(24)}` });
    const metrics = (await call(`${server.url}/metrics`)).body as string;
    expect(Number(/s2s_postback_attempts_total\{outcome="retry"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    expect(Number(/s2s_postback_deliveries\{status="delivered"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/s2s_postback_deliveries\{status="pending"\} \d+/);
    expect(clickId).toMatch(/^[0-9a-f]{24}$/);
  });

  it('queues while the partner is down (connection refused) and drains when it is back', async () => {
    const probe = await receiver();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    receivers.splice(receivers.indexOf(probe), 1);
    const s = await setup({ format: 'chartboost-v2', url: `http://127.0.0.1:${port}`, token: 't', events: ['open'] });
    for (let i = 0; i < 3; i++) await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=down-${i}`);
    await expect.poll(async () => (await deliveries(s.app.app_id)).filter((d) => d.last_error?.includes('ECONNREFUSED')).length).toBe(3);
    expect((await deliveries(s.app.app_id)).every((d) => d.status === 'pending')).toBe(true);
    const back = await startReceiver(undefined, port);
    receivers.push(back);
    await back.waitFor(3, 10_000);
    await expect.poll(async () => (await deliveries(s.app.app_id)).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('does not retry a 400, and marks it failed', async () => {
    const r = await receiver(() => ({ status: 400, body: '{"status":400,"message":"bad"}' }));
    const s = await setup({ format: 'chartboost-v2', url: r.url, token: 't', events: ['install'] });
    await attributedOpen(s, 'final-1');
    await r.waitFor(1);
    await expect.poll(async () => (await deliveries(s.app.app_id))[0]?.status).toBe('failed');
    await new Promise((res) => setTimeout(res, 400));
    expect(r.requests).toHaveLength(1);
    // Put back by hand, it goes again.
    const [d] = await deliveries(s.app.app_id);
    const retried = await call(`${server.url}/admin/deliveries/${d.delivery_id}/retry`, { admin: true, method: 'POST' });
    expect(retried.body.status).toBe('pending');
    await r.waitFor(2);
  });

  it('honours Retry-After on a 429 and gives up (dead) past the TTL', async () => {
    const short = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_RETRY_BASE_MS: '50', S2S_RETRY_TTL_MS: '400', S2S_DISPATCH_POLL_MS: '20' });
    try {
      const r = await receiver((_req, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '0' } } : { status: 500 }));
      const app = (await call(`${short.url}/admin/apps`, { admin: true, body: { name: 'x', platform: 'android' } })).body;
      const token = (await call(`${short.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
      await call(`${short.url}/admin/postbacks`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', format: 'chartboost-v2', url: r.url, token: 't', events: ['open'] } });
      await call(`${short.url}/api/v2/open?token=${token}&app_id=${app.app_id}&gaid=ttl-1`);
      await expect.poll(async () => (await call(`${short.url}/admin/deliveries?app_id=${app.app_id}`, { admin: true })).body.deliveries[0]?.status, { timeout: 5000 }).toBe('dead');
      expect(r.requests.length).toBeGreaterThanOrEqual(3);
      // Retry-After: 0 sent the second attempt at once, not after the 50 ms back-off.
      expect(r.requests[1]!.at - r.requests[0]!.at).toBeLessThan(50);
    } finally {
      await short.close();
    }
  });

  it('signs Chartboost v1 installs (every install, claim 1 or 0) and PIA purchases so that the network accepts them', async () => {
    const secret = 'network-issued-secret';
    const appSignature = 'f'.repeat(40);
    const verify = (action: string) => (req: { headers: Record<string, unknown>; body: string }) =>
      req.headers['x-chartboost-signature'] === chartboostSignature(action, secret, appSignature, req.body) && req.headers['x-chartboost-token'] === 'cb-token';
    const r = await receiver((req) => {
      const action = req.url === '/api/v1/install.json' ? 'attribution' : 'pia';
      return verify(action)(req as never) ? { status: 200 } : { status: 403 };
    });
    const s = await setup({ format: 'chartboost-v1', url: r.url, token: 'cb-token', secret, app_signature: appSignature });
    await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: s.app.app_id, network: 'chartboost', format: 'chartboost-pia', url: r.url, token: 'cb-token', secret, app_signature: appSignature } });
    await attributedOpen(s, 'v1-ours');
    await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=v1-organic`);
    // A purchase of the attributed user (through Swaarm, by its device), and one of the organic user.
    await call(`${server.url}/postback?s2s_token=${s.token}&user_id=buyer&gaid=v1-ours&event_id=purchase&sale_amount=2.99&sale_amount_currency=EUR`);
    await call(`${server.url}/postback?s2s_token=${s.token}&user_id=other&gaid=v1-organic&event_id=purchase&sale_amount=1`);
    await r.waitFor(3);
    await expect.poll(async () => (await deliveries(s.app.app_id)).map((d) => d.status).sort()).toEqual(['delivered', 'delivered', 'delivered']);
    const installs = r.requests.filter((q) => q.url === '/api/v1/install.json').map((q) => JSON.parse(q.body));
    expect(installs).toContainEqual(expect.objectContaining({ app_id: s.app.app_id, gaid: 'v1-ours', claim: 1, organic: 0 }));
    expect(installs).toContainEqual(expect.objectContaining({ app_id: s.app.app_id, gaid: 'v1-organic', claim: 0, organic: 1 }));
    const tracks = r.requests.filter((q) => q.url === '/event_service/v3/track').map((q) => JSON.parse(q.body));
    expect(tracks).toEqual([expect.objectContaining({ app_id: s.app.app_id, gaid: 'v1-ours', iap: { product_id: 'purchase', price: 2.99, currency: 'EUR' } })]);
  });

  it('sends opens of every device to chartboost-v2, with rejected_reason for an install it rejected', async () => {
    const r = await receiver();
    const s = await setup({ format: 'chartboost-v2', url: r.url, token: 'cb-token' });
    await call(`${server.url}/admin/apps/${s.app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 60 } });
    server.services.catalog.invalidate();
    await attributedOpen(s, 'too-fast', 'cb-click-9');
    await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=organic-dev`);
    await r.waitFor(3);
    const bodies = r.requests.map((q) => [q.url, JSON.parse(q.body)]);
    // The rejected install: an open with its reason, never an attributed_install.
    expect(bodies.filter(([u]) => u === '/api/v2/attributed_install')).toEqual([]);
    expect(bodies).toContainEqual([
      '/api/v2/open',
      expect.objectContaining({ token: 'cb-token', app_id: s.app.app_id, gaid: 'too-fast', click_id: 'cb-click-9', rejected_reason: 'ctit_too_short', match_type: 'device_id' }),
    ]);
    expect(bodies).toContainEqual(['/api/v2/open', { token: 'cb-token', app_id: s.app.app_id, gaid: 'organic-dev', match_type: 'organic' }]);
  });

  it('fills URL templates with URL-encoded macros, narrowed by --events, and refuses unknown macros', async () => {
    const r = await receiver();
    const s = await setup({ format: 'url', url: `${r.url}/pb?click={click_id}&ev={event_id}&rev={revenue}&cur={currency}&ua={user_agent}&m={match_type}&c={campaign_id}`, events: ['level up'] });
    const clickId = (await call(`${server.url}/click?campaign_id=${s.campaign.campaign_id}&no_redirect=true&user_ip=198.51.100.3&user_ua=${encodeURIComponent('Mozilla/5.0 (X&Y)')}`)).body.id;
    await call(`${server.url}/s2sevent?token=${s.token}&user_id=u-url&user_ip=198.51.100.3&user_ua=${encodeURIComponent('Mozilla/5.0 (X&Y)')}&event_id=${encodeURIComponent('level up')}&sale_amount=5&sale_amount_currency=USD`);
    await call(`${server.url}/s2sevent?token=${s.token}&user_id=u-url&user_ip=198.51.100.3&user_ua=x&event_id=ignored`);
    await r.waitFor(1);
    await new Promise((res) => setTimeout(res, 200));
    expect(r.requests).toHaveLength(1);
    const url = new URL(r.requests[0]!.url, 'http://x');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      click: clickId,
      ev: 'level up',
      rev: '5',
      cur: 'USD',
      ua: 'Mozilla/5.0 (X&Y)',
      m: 'fingerprint',
      c: s.campaign.campaign_id,
    });
    const bad = await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: s.app.app_id, network: 'n', format: 'url', url: 'https://n.example/?x={clickid}' } });
    expect(bad).toMatchObject({ status: 400, body: { message: 'url: unknown macro {clickid}' } });
    const cli = await runCli(['postbacks', 'add', '--app', s.app.app_id, '--network', 'n', '--format', 'url', '--url', 'https://n.example/?x={idfv}'], server.db.env);
    expect(cli.stderr).toBe('error: --url: unknown macro {idfv}\n');
  });

  it('encodes macro values as one path segment or query value: ".." cannot walk the path, and the log shows the URL as sent', async () => {
    const r = await receiver();
    const s = await setup({ format: 'url', url: `${r.url}/pb/{user_id}/tail?u={user_id}&ua={user_agent}`, events: ['walk'] });
    await call(`${server.url}/click?campaign_id=${s.campaign.campaign_id}&no_redirect=true&user_ip=198.51.100.9&user_ua=walker`);
    await call(`${server.url}/s2sevent?token=${s.token}&user_id=..&user_ip=198.51.100.9&user_ua=walker&event_id=walk`);
    const [got] = await r.waitFor(1);
    expect(got!.url).toBe('/pb/%2E%2E/tail?u=..&ua=walker');
    await expect.poll(async () => (await deliveries(s.app.app_id))[0]?.status).toBe('delivered');
    const [d] = await deliveries(s.app.app_id);
    expect(d.url).toBe(`${r.url}${got!.url}`);
  });

  it('parses postback URLs when they are added: http(s) only, and macros only in the path and query', async () => {
    const s = await setup({ format: 'url', url: 'https://n.example/pb?c={click_id}' });
    const add = (format: string, url: string) =>
      call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: s.app.app_id, network: 'n', format, url, token: 't' } });
    for (const url of ['http://[::1', 'ftp://n.example/x', 'http://', 'https://n.example:99999/']) {
      const res = await add('chartboost-v2', url);
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^url: /);
    }
    for (const url of ['http://{user_id}.invalid/pb', 'http://127.0.0.1:9{user_id}/pb', 'http://{user_id}@n.example/pb', 'http{ip}://n.example/', 'https://n.example/#{click_id}', 'http://[::1/{user_id}']) {
      const res = await add('url', url);
      expect(res.status, url).toBe(400);
      expect(res.body.message, url).toMatch(/^url: /);
    }
    expect((await add('url', 'http://n.example:8080/{network}/x?c={click_id}&t={timestamp}')).status).toBe(201);
  });

  it('judges chartboost-v1 answers by the status in the body (HTTP is always 200): 5xx retried, 4xx failed', async () => {
    const secret = 'v1-secret';
    const r = await receiver((_req, i) => ({ status: 200, body: JSON.stringify({ status: i === 0 ? 503 : 400, message: i === 0 ? 'busy' : 'bad app' }) }));
    const s = await setup({ format: 'chartboost-v1', url: r.url, token: 'cb-token', secret, app_signature: 'e'.repeat(40) });
    await attributedOpen(s, 'v1-refused');
    await r.waitFor(2);
    await expect.poll(async () => (await deliveries(s.app.app_id))[0]?.status).toBe('failed');
    const [d] = await deliveries(s.app.app_id);
    expect(d).toMatchObject({ attempts: 2, last_status: 200 });
    const detail = await call(`${server.url}/admin/deliveries/${d.delivery_id}`, { admin: true });
    expect(detail.body.attempts_log.map((a: any) => a.response_start)).toEqual(['{"status":503,"message":"busy"}', '{"status":400,"message":"bad app"}']);
  });

  it('writes the outbox in the same transaction as the record: a rolled-back batch queues nothing', async () => {
    const r = await receiver();
    const s = await setup({ format: 'chartboost-v2', url: r.url, token: 't' });
    const postbacks = await server.services.catalog.getPostbacks(s.app.app_id);
    expect(postbacks).toHaveLength(1);
    const good = { app: s.app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid: 'tx-1' }, clickIds: [], viewIds: [], event: { kind: 'open' as const, name: 'open' } };
    const bad = { ...good, deviceIds: {}, userId: undefined };
    await expect(
      applyBatch(server.db.store, [{ kind: 'conversion', conversion: good }, { kind: 'conversion', conversion: bad }], { postbacksFor: async () => postbacks, retryTtlMs: 1000, rates: async () => new Map() }),
    ).rejects.toThrow('user_id');
    expect(await deliveries(s.app.app_id)).toEqual([]);
    expect(await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: 'tx-1' })).toBeUndefined();
  });

  it('lists, logs and removes postbacks from the CLI, never showing the secret', async () => {
    const r = await receiver();
    const s = await setup({ format: 'chartboost-v1', url: r.url, token: 'visible-token', secret: 'hidden-secret' });
    const list = await cliJson(['postbacks', 'list', '--app', s.app.app_id], server.db.env);
    expect(list.postbacks).toEqual([expect.objectContaining({ postback_id: s.postback.postback_id, format: 'chartboost-v1', token: 'visi…', has_secret: true })]);
    expect(JSON.stringify(list)).not.toContain('hidden-secret');
    await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&gaid=cli-1`);
    await r.waitFor(1);
    await expect.poll(async () => (await cliJson(['postbacks', 'log', '--app', s.app.app_id, '--status', 'delivered'], server.db.env)).deliveries.length).toBe(1);
    expect((await runCli(['postbacks', 'log', '--status', 'lost'], server.db.env)).stderr).toBe('error: --status: must be one of pending, delivered, failed, dead\n');
    expect((await cliJson(['postbacks', 'remove', s.postback.postback_id], server.db.env)).removed).toBe(true);
    expect((await cliJson(['postbacks', 'list', '--app', s.app.app_id], server.db.env)).postbacks).toEqual([]);
    expect((await runCli(['postbacks', 'add', '--app', s.app.app_id, '--network', 'cb', '--format', 'chartboost-pia', '--token', 't'], server.db.env)).stderr).toBe(
      'error: --secret: is required for chartboost-pia (its requests are signed)\n',
    );
  });
});

describe('postbacks across a restart and between two servers', () => {
  const started: ServerProcess[] = [];
  const receivers: Receiver[] = [];
  afterEach(async () => {
    for (const p of started.splice(0)) p.child.kill('SIGKILL');
    for (const r of receivers.splice(0)) await r.close();
  });

  it.each(BACKENDS)('still delivers, once, when the server restarts in the middle of a back-off ($name)', async (backend) => {
    const env: Record<string, string> = { ...backend.env(), S2S_ADMIN_TOKEN: 'adm', S2S_RETRY_BASE_MS: '1500', S2S_DISPATCH_POLL_MS: '50' };
    try {
      const r = await startReceiver((_req, i) => ({ status: i === 0 ? 503 : 200 }));
      receivers.push(r);
      const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
      const token = await cliJson(['tokens', 'create', '--app', app.app_id], env);
      await cliJson(['postbacks', 'add', '--app', app.app_id, '--network', 'cb', '--format', 'chartboost-v2', '--url', r.url, '--token', 't', '--events', 'open'], env);
      const first = await startServerProcess(env);
      started.push(first);
      await call(`${first.url}/api/v2/open?token=${token.token}&app_id=${app.app_id}&gaid=restart-1`);
      await r.waitFor(1);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      const second = await startServerProcess(env);
      started.push(second);
      await r.waitFor(2, 8000);
      await new Promise((res) => setTimeout(res, 500));
      expect(r.requests).toHaveLength(2);
      expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(1500);
      const log = await cliJson(['postbacks', 'log', '--app', app.app_id], env);
      expect(log.deliveries).toEqual([expect.objectContaining({ status: 'delivered', attempts: 2 })]);
    } finally {
      await backend.cleanup(env);
    }
  });

  it('relays to a second instance of this server playing the network: clicks, installs, opens and purchases arrive', async () => {
    const [backend] = BACKENDS;
    const networkEnv: Record<string, string> = { ...backend!.env(), S2S_ADMIN_TOKEN: 'net' };
    const studioEnv: Record<string, string> = { ...backend!.env(), S2S_ADMIN_TOKEN: 'studio', S2S_DISPATCH_POLL_MS: '50' };
    try {
      // The network (Chartboost's role): knows the app by its own id and signature.
      const netApp = await cliJson(['apps', 'create', '--name', 'Gems', '--platform', 'android'], networkEnv);
      const netCampaign = await cliJson(['campaigns', 'create', '--app', netApp.app_id, '--network', 'self', '--name', 'ua'], networkEnv);
      const netToken = await cliJson(['tokens', 'create', '--app', netApp.app_id, '--secret'], networkEnv);
      // The test installs within a second of the click: turn the 10 s CTIT rule off on both sides.
      await cliJson(['apps', 'configure', '--app', netApp.app_id, '--min-ctit', '0'], networkEnv);
      // The studio's server (the MMP's role): same app id and signature, postbacks to the network.
      await cliJson(['apps', 'create', '--name', 'Gems', '--platform', 'android', '--app-id', netApp.app_id, '--app-signature', netApp.app_signature], studioEnv);
      await cliJson(['apps', 'configure', '--app', netApp.app_id, '--min-ctit', '0'], studioEnv);
      const campaign = await cliJson(['campaigns', 'create', '--app', netApp.app_id, '--network', 'chartboost', '--name', 'cb'], studioEnv);
      const studioToken = await cliJson(['tokens', 'create', '--app', netApp.app_id], studioEnv);
      const network = await startServerProcess(networkEnv);
      started.push(network);
      for (const format of ['chartboost-v2', 'chartboost-pia']) {
        await cliJson(['postbacks', 'add', '--app', netApp.app_id, '--network', 'chartboost', '--format', format, '--url', network.url, '--token', netToken.token, '--secret', netToken.secret], studioEnv);
      }
      const studio = await startServerProcess(studioEnv);
      started.push(studio);

      // A user clicks an ad at the network, whose callback hits the studio's tracking link.
      const networkClick = (await call(`${network.url}/click?campaign_id=${netCampaign.campaign_id}&gaid=RT-DEVICE&no_redirect=true`)).body.id;
      await call(`${studio.url}/click?campaign_id=${campaign.campaign_id}&click_id=${networkClick}&gaid=rt-device&no_redirect=true`);
      // The game starts and buys, reported to the studio's server.
      await call(`${studio.url}/api/v2/open?token=${studioToken.token}&app_id=${netApp.app_id}&gaid=rt-device`);
      await call(`${studio.url}/postback?s2s_token=${studioToken.token}&user_id=p1&gaid=rt-device&event_id=purchase&sale_amount=9.99&sale_amount_currency=USD`);

      const netAdmin = { authorization: 'Bearer net' };
      await expect
        .poll(async () => (await call(`${studio.url}/admin/deliveries?app_id=${netApp.app_id}`, { headers: { authorization: 'Bearer studio' } })).body.deliveries.map((d: any) => `${d.trigger}:${d.status}`).sort(), { timeout: 8000 })
        .toEqual(['install:delivered', 'open:delivered', 'purchase:delivered']);
      // What the network now knows: an install credited to its own click, the device, a purchase.
      const known = await call(`${network.url}/admin/apps/${netApp.app_id}/known-devices`, { headers: netAdmin });
      expect(known.body.devices).toContainEqual({ gaid: 'rt-device' });
      const { openSqliteStore } = await import('../../../src/storage/sqlite/sqlite-store.js');
      const { openStore } = await import('../../../src/storage/db.js');
      const { loadConfig } = await import('../../../src/config.js');
      const store = backend!.name === 'sqlite' ? openSqliteStore({ dataDir: networkEnv.DATA_DIR!, synchronous: 'FULL' }) : openStore(loadConfig(networkEnv));
      try {
        const install = await store.getInstallByUser(netApp.app_id, { kind: 'gaid', value: 'rt-device' });
        expect(install).toMatchObject({ status: 'attributed', match_type: 'claimed', touchpoint_id: networkClick, source: 'chartboost-v2-attributed-install' });
        const purchases = (await store.listEvents(netApp.app_id)).filter((e) => e.kind === 'purchase');
        expect(purchases).toEqual([expect.objectContaining({ revenue: 9.99, currency: 'USD', source: 'chartboost-v3-track' })]);
      } finally {
        await store.close();
      }
    } finally {
      await backend!.cleanup(networkEnv);
      await backend!.cleanup(studioEnv);
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { ADMIN_TOKEN, call, startTestServer, type TestServer } from '../../helpers/server.js';

describe.each(BACKENDS)('admin API on $name', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(backend, { S2S_PUBLIC_URL: 'https://track.example.com/' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 401 without the admin token or with a wrong one', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer nope' }, { authorization: ADMIN_TOKEN }, { authorization: `Bearer ${ADMIN_TOKEN}x` }];
    for (const headers of attempts) {
      const res = await call(`${server.url}/admin/apps`, { headers });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ status: 401, message: expect.stringContaining('authorization') });
    }
  });

  it('creates an app, a scoped token with a secret, a campaign with a tracking URL, and revokes the token', async () => {
    const app = await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'android' } });
    expect(app.status).toBe(201);
    expect(app.body).toMatchObject({ name: 'Gems', platform: 'android', store: 'google_play', store_url: null });
    expect(app.body.app_id).toMatch(/^[0-9a-f]{24}$/);
    expect(app.body.app_signature).toMatch(/^[0-9a-f]{40}$/);

    const fetched = await call(`${server.url}/admin/apps/${app.body.app_id}`, { admin: true });
    expect(fetched.body).toEqual(app.body);

    const token = await call(`${server.url}/admin/tokens`, {
      admin: true,
      body: { app_ids: [app.body.app_id], secret: true, name: 'chartboost' },
    });
    expect(token.status).toBe(201);
    expect(token.body.token).toMatch(/^s2s_[A-Za-z0-9_-]{32}$/);
    expect(token.body.secret).toMatch(/^[0-9a-f]{64}$/);

    const granted = await server.services.auth.authorize(token.body.token, app.body.app_id);
    expect(granted).toEqual({ ok: true, tokenId: token.body.token_id, secret: token.body.secret });
    expect(await server.services.auth.authorize(token.body.token, '0'.repeat(24))).toEqual({ ok: false, reason: 'forbidden_app' });

    const listed = await call(`${server.url}/admin/tokens`, { admin: true });
    expect(listed.body.tokens).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(token.body.token);
    expect(JSON.stringify(listed.body)).not.toContain(token.body.secret);

    const campaign = await call(`${server.url}/admin/campaigns`, {
      admin: true,
      body: { app_id: app.body.app_id, network: 'chartboost', name: 'Launch', cpi: 2.5 },
    });
    expect(campaign.status).toBe(201);
    expect(campaign.body.tracking_url).toBe(`https://track.example.com/click?campaign_id=${campaign.body.campaign_id}`);
    const campaigns = await call(`${server.url}/admin/campaigns?app_id=${app.body.app_id}`, { admin: true });
    expect(campaigns.body.campaigns).toEqual([campaign.body]);

    const revoked = await call(`${server.url}/admin/tokens/revoke`, { admin: true, body: { token: token.body.token } });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toMatch(/^\d{4}-/);
    // Revoked through this process: refused at once, not after the cache period.
    expect(await server.services.auth.authorize(token.body.token, app.body.app_id)).toEqual({ ok: false, reason: 'revoked' });
    const again = await call(`${server.url}/admin/tokens/revoke`, { admin: true, body: { token: 'no-such-token' } });
    expect(again).toMatchObject({ status: 404, body: { status: 404, message: 'token: no such token' } });
  });

  it('names the field at fault in every 4xx', async () => {
    const cases: [string, unknown, number, string][] = [
      ['/admin/apps', { platform: 'ios' }, 400, 'name: is required'],
      ['/admin/apps', { name: 'x', platform: 'tv' }, 400, 'platform: must be one of ios, android, amazon, pc, web'],
      ['/admin/apps', { name: 'x', platform: 'ios', store_url: 'ftp://x' }, 400, 'store_url:'],
      ['/admin/apps', { name: ['x'], platform: 'ios' }, 400, 'name:'],
      ['/admin/tokens', { app_ids: [] }, 400, 'app_ids:'],
      ['/admin/tokens', { app_ids: ['nothex'] }, 400, 'app_ids.0:'],
      ['/admin/tokens', { app_ids: ['a'.repeat(24)] }, 404, `app_ids: unknown app ${'a'.repeat(24)}`],
      ['/admin/campaigns', { app_id: 'b'.repeat(24), network: 'n', name: 'c' }, 404, 'app_id: unknown app'],
      ['/admin/campaigns', { app_id: 'b'.repeat(24), network: 'n', name: 'c', cpi: -1 }, 400, 'cpi:'],
    ];
    for (const [path, body, status, message] of cases) {
      const res = await call(`${server.url}${path}`, { admin: true, body });
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.body.status).toBe(status);
      expect(res.body.message).toContain(message);
    }
  });

  it('refuses malformed JSON, wrong content types, unknown routes and oversized bodies with JSON errors', async () => {
    const malformed = await call(`${server.url}/admin/apps`, {
      admin: true,
      rawBody: '{"name": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed).toMatchObject({ status: 400, body: { status: 400, message: expect.stringContaining('JSON') } });

    const xml = await call(`${server.url}/admin/apps`, { admin: true, rawBody: '<app/>', headers: { 'content-type': 'application/xml' } });
    expect(xml).toMatchObject({ status: 415, body: { status: 415, message: expect.stringContaining('content-type') } });

    const missing = await call(`${server.url}/nowhere?token=abc`);
    expect(missing).toMatchObject({ status: 404, body: { status: 404, message: 'no route for GET /nowhere' } });

    const huge = await call(`${server.url}/admin/apps`, {
      admin: true,
      body: { name: 'x'.repeat(70 * 1024), platform: 'ios' },
    });
    expect(huge).toMatchObject({ status: 413, body: { status: 413, message: expect.stringContaining('body') } });
  });

  it('serves health, readiness, Prometheus metrics and an OpenAPI document', async () => {
    expect(await call(`${server.url}/healthz`)).toMatchObject({ status: 200, body: { status: 200 } });
    expect(await call(`${server.url}/readyz`)).toMatchObject({ status: 200, body: { status: 200, message: 'ready' } });

    const metrics = await call(`${server.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(/s2s_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(metrics.body).toContain('s2s_http_request_duration_seconds_bucket');
    expect(metrics.body).toContain('s2s_write_queue_depth 0');

    const openapi = await call(`${server.url}/openapi.json`);
    expect(openapi.body.openapi).toBe('3.0.3');
    expect(Object.keys(openapi.body.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/admin/apps', '/admin/apps/{app_id}', '/admin/tokens', '/admin/tokens/revoke', '/admin/campaigns']),
    );
    expect(openapi.body.paths['/admin/apps'].post.requestBody.content['application/json'].schema.required).toEqual(['name', 'platform']);
  });

  it('tags each response with a request id, keeping a sane one the caller sent', async () => {
    const mine = await call(`${server.url}/healthz`, { headers: { 'x-request-id': 'lb-1234' } });
    expect(mine.headers.get('x-request-id')).toBe('lb-1234');
    const hostile = await call(`${server.url}/healthz`, { headers: { 'x-request-id': 'x'.repeat(500) } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[0-9a-f]{24}$/);
    expect(server.logs.some((line) => JSON.parse(line).reqId === 'lb-1234')).toBe(true);
  });
});

describe('admin API switched off', () => {
  it('answers 404 with a hint and says so once in the log', async () => {
    const [backend] = BACKENDS;
    const server = await startTestServer(backend!, { S2S_ADMIN_TOKEN: '' });
    try {
      const res = await call(`${server.url}/admin/apps`, { headers: { authorization: 'Bearer anything' } });
      expect(res).toMatchObject({ status: 404, body: { status: 404, message: expect.stringContaining('S2S_ADMIN_TOKEN') } });
      await call(`${server.url}/admin/tokens`);
      expect(server.logs.filter((l) => l.includes('admin API under /admin is off'))).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

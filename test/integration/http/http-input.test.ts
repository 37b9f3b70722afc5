import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { protocolEndpoints } from '../../helpers/protocol-routes.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

/** Sends `chunks` over a raw TCP connection, each after `gapMs`, and resolves with all the server sent back and when it closed. */
function rawExchange(url: string, chunks: (string | Buffer)[], opts: { gapMs?: number; destroyAfter?: boolean; limitMs?: number } = {}): Promise<{ text: string; ms: number }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(Number(port), '127.0.0.1');
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      socket.destroy();
      resolve({ text, ms: Date.now() - started });
    }, opts.limitMs ?? 8000);
    const finish = () => {
      clearTimeout(limit);
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - started });
    };
    socket.on('data', (d) => (text += d.toString('utf8')));
    socket.on('close', finish);
    socket.on('error', () => undefined);
    let i = 0;
    const next = () => {
      if (socket.destroyed) return;
      if (i < chunks.length) {
        socket.write(chunks[i++]!);
        timer = setTimeout(next, opts.gapMs ?? 0);
      } else if (opts.destroyAfter) {
        socket.destroy();
      }
    };
    socket.on('connect', next);
    socket.on('error', reject);
  });
}

function bodyOf(raw: string): unknown {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));
}

/** JSON text of a value nested `depth` objects deep (built as text: JSON.stringify itself would overflow). */
function deep(depth: number): string {
  return `${'{"v":'.repeat(depth)}"leaf"${'}'.repeat(depth)}`;
}

describe.each(BACKENDS)('strict, honest input handling on $name', (backend) => {
  let server: TestServer;
  let app: any;
  let token: string;
  const event = (over: Record<string, unknown> = {}) => ({
    user_id: 'player-1',
    event_name: 'game_open',
    ip: '203.0.113.9',
    time_stamp: Math.floor(Date.now() / 1000) - 60,
    platform: 'steam',
    storefront: 'steam',
    ...over,
  });
  const measure = (body: unknown, headers: Record<string, string> = {}) =>
    call(`${server.url}/measure`, { body, headers: { authorization: `Bearer ${token}`, ...headers } });

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'info', S2S_REQUEST_TIMEOUT_MS: '1000' });
    app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Game', platform: 'pc' } })).body;
    token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers blank or non-string values with a 400 naming the field, never a 500', async () => {
    for (const field of ['user_id', 'event_name', 'platform', 'storefront']) {
      for (const value of ['   ', [], {}, true]) {
        const res = await measure(event({ [field]: value }));
        expect(res.status, `${field}=${JSON.stringify(value)}`).toBe(400);
        expect(res.body, `${field}=${JSON.stringify(value)}`).toEqual({ status: 400, message: expect.stringMatching(new RegExp(`^${field}: `)) });
      }
    }
    const swaarm = await call(`${server.url}/s2sevent`, { body: { token, user_id: [], user_ip: '203.0.113.9', user_ua: 'ua' } });
    expect(swaarm).toMatchObject({ status: 400, body: { status: 400, message: expect.stringMatching(/^user_id: /) } });
    const postback = await call(`${server.url}/postback`, { body: { s2s_token: token, user_id: 'u', event_id: [] } });
    expect(postback).toMatchObject({ status: 400, body: { status: 400, message: expect.stringMatching(/^event_id: /) } });
  });

  it('bounds the nesting of free-form JSON values: 400 beyond 32 levels, and 10 000 levels do not overflow the stack', async () => {
    const s2sevent = (value: string) =>
      call(`${server.url}/s2sevent`, { rawBody: `{"token":"${token}","user_id":"u","user_ip":"203.0.113.9","user_ua":"ua","event_value":${value}}`, headers: { 'content-type': 'application/json' } });
    const fine = await s2sevent(deep(20));
    expect(fine.status).toBe(200);
    for (const depth of [40, 10_000]) {
      const res = await s2sevent(deep(depth));
      expect(res, `depth ${depth}`).toMatchObject({ status: 400, body: { status: 400, message: expect.stringMatching(/^event_value: nested deeper than 32 levels/) } });
      const batch = await call(`${server.url}/measure`, { rawBody: `[${JSON.stringify(event()).slice(0, -1)},"extra":${deep(depth)}}]`, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
      expect(batch, `depth ${depth}`).toMatchObject({ status: 400, body: { status: 400, message: expect.stringMatching(/nested deeper than 32 levels/) } });
    }
  });

  it('takes admin numbers as JSON numbers or plain decimal strings only', async () => {
    const settings = (body: unknown) => call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body });
    for (const value of ['   ', '', '0x10', '1e1', true, false, ' 5', [5]]) {
      const res = await settings({ min_ctit_s: value });
      expect(res.status, JSON.stringify(value)).toBe(400);
      expect(res.body.message, JSON.stringify(value)).toMatch(/^min_ctit_s: /);
    }
    expect((await settings({ min_ctit_s: 15 })).status).toBe(200);
    expect((await settings({ min_ctit_s: '16' })).body.settings.min_ctit_s).toBe(16);
    expect((await settings({ min_ctit_s: null })).body.settings.min_ctit_s).toBe(null);
    const cpi = await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'n', name: 'c', cpi: '0x10' } });
    expect(cpi).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^cpi: /) } });
    const limit = await call(`${server.url}/admin/deliveries?app_id=${app.app_id}&limit=0x10`, { admin: true });
    expect(limit).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^limit: /) } });
    const nullCpi = await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'n', name: 'c', cpi: null } });
    expect(nullCpi).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^cpi: /) } });
  });

  it('decodes form bodies as UTF-8 and refuses invalid UTF-8 alike in forms, JSON and the query', async () => {
    const form = Buffer.concat([Buffer.from(`user_id=form-1&ip=203.0.113.9&time_stamp=${Math.floor(Date.now() / 1000) - 60}&platform=steam&storefront=steam&event_name=`), Buffer.from('café', 'utf8')]);
    const ok = await rawExchange(server.url, [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n`, form]);
    expect(ok.text).toMatch(/^HTTP\/1.1 200/);
    const names = (await server.db.store.listEvents(app.app_id)).map((e) => e.name);
    expect(names).toContain('café');

    const refusals: [string, (string | Buffer)[]][] = [
      ['raw form', [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 14\r\nConnection: close\r\n\r\n`, Buffer.from([0x65, 0x76, 0x65, 0x6e, 0x74, 0x5f, 0x6e, 0x61, 0x6d, 0x65, 0x3d, 0x61, 0xff, 0x62])]],
      ['escaped form', [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 15\r\nConnection: close\r\n\r\nevent_name=%FF!`]],
      ['raw JSON', [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n`, Buffer.from([0x22, 0x61, 0xff, 0x62, 0x22])]],
      ['escaped query', [`GET /api/v2/open?idfa=%C3%28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]],
    ];
    for (const [name, chunks] of refusals) {
      const res = await rawExchange(server.url, chunks);
      expect(res.text, name).toMatch(/^HTTP\/1.1 400/);
      expect(bodyOf(res.text), name).toEqual({ status: 400, message: expect.stringMatching(/: not valid UTF-8$/) });
    }
    const inPath = await call(`${server.url}/click/%FF`);
    expect(inPath).toMatchObject({ status: 400, body: { status: 400, message: 'path: not valid UTF-8 or a malformed %-escape' } });
    // Bytes beyond ASCII sent raw in a URL are refused by Node's parser itself: a JSON 400 too.
    const raw = await rawExchange(server.url, [Buffer.concat([Buffer.from('GET /api/v2/open?idfa='), Buffer.from([0xc3, 0xa9]), Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')])]);
    expect(raw.text).toMatch(/^HTTP\/1.1 400/);
    expect(bodyOf(raw.text)).toEqual({ status: 400, message: expect.any(String) });
  });

  it('logs a client that aborts its body as such, not as "database unavailable"', async () => {
    const before = server.logs.length;
    await rawExchange(server.url, [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`, '{"user_id": "abc'], { gapMs: 100, destroyAfter: true });
    const deadline = Date.now() + 5000;
    while (!server.logs.slice(before).some((l) => l.includes('aborted')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lines = server.logs.slice(before).join('\n');
    expect(lines).toContain('request aborted by the client');
    expect(lines).not.toContain('database unavailable');
    const metrics = await call(`${server.url}/metrics`);
    expect(String(metrics.body)).not.toMatch(/s2s_http_requests_total\{[^}]*route="\/measure"[^}]*status="503"/);
  });

  it('answers headers or a body sent too slowly with a JSON 408 after the configured timeout', async () => {
    const drip = ['GET /healthz HTTP/1.1\r\n', 'Host: x\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: 1\r\n`)];
    const headers = await rawExchange(server.url, drip, { gapMs: 100 });
    expect(headers.text).toMatch(/^HTTP\/1.1 408/);
    expect(bodyOf(headers.text)).toEqual({ status: 408, message: expect.stringContaining('timed out') });
    expect(headers.ms).toBeLessThan(2500);
    const slowBody = [`POST /measure HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`, ...Array.from({ length: 40 }, () => ' ')];
    const body = await rawExchange(server.url, slowBody, { gapMs: 100 });
    expect(body.text).toMatch(/^HTTP\/1.1 408/);
    expect(body.ms).toBeLessThan(2500);
  });

  it('answers a request without a Host header with a JSON 400', async () => {
    const res = await rawExchange(server.url, ['GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n']);
    expect(res.text).toMatch(/^HTTP\/1.1 400/);
    expect(res.text.toLowerCase()).toContain('content-type: application/json');
    expect(bodyOf(res.text)).toEqual({ status: 400, message: expect.stringMatching(/^host: /) });
  });

  it('answers a wrong method with 405 and an Allow header on every documented path', async () => {
    // Every protocol's routes as its plugin declares them (a new protocol is covered by itself), and the ops paths.
    const paths = [...(await protocolEndpoints()).map((e) => e.path), '/healthz', '/readyz', '/metrics'];
    expect(paths).toEqual(expect.arrayContaining(['/click', '/view', '/postback', '/s2sevent', '/measure', '/api/v1/install.json', '/api/v2/attributed_install', '/api/v2/open', '/event_service/v3/track']));
    for (const p of paths) {
      const answers: Record<string, { status: number; allow: string | null; body: any }> = {};
      for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
        const res = await call(`${server.url}${p}`, { method });
        answers[method] = { status: res.body?.status ?? res.status, allow: res.headers.get('allow'), body: res.body };
      }
      const refused = Object.entries(answers).filter(([, a]) => a.status === 405);
      expect(refused.length, `${p} ${JSON.stringify(answers)}`).toBeGreaterThan(0);
      const allow = refused[0]![1].allow;
      expect(allow, p).toBeTruthy();
      for (const [method, a] of Object.entries(answers)) {
        const listed = allow!.split(/,\s*/).includes(method);
        expect(a.status === 405, `${method} ${p}: ${a.status}, Allow: ${allow}`).toBe(!listed);
        if (a.status === 405) {
          expect(a.allow, `${method} ${p}`).toBe(allow);
          // Adjust's routes answer in Adjust's shape, its `error` beside ours.
          const adjust = ['/event', '/session', '/ad_revenue', '/gdpr_forget_device'].includes(p) ? { error: expect.stringMatching(/^(Event|Session|Ad revenue|Erasure) request failed \(Method not allowed\)$/) } : {};
          const appsflyer = p.startsWith('/inappevent/') ? { error: 'Method Not Allowed' } : {};
          expect(a.body, `${method} ${p}`).toEqual({ status: 405, message: expect.stringMatching(/^method: /), ...adjust, ...appsflyer });
        }
      }
    }
  });

  it('answers unknown /admin paths 401 without the admin token, and 404 with it', async () => {
    for (const [method, p] of [['GET', '/admin/nope'], ['POST', '/admin/apps/x/y/z'], ['DELETE', '/admin/apps'], ['GET', '/admin']] as const) {
      const res = await call(`${server.url}${p}`, { method });
      expect(res.status, `${method} ${p}`).toBe(401);
      expect(res.body, `${method} ${p}`).toEqual({ status: 401, message: expect.stringMatching(/^authorization: /) });
    }
    const known = await call(`${server.url}/admin/nope`, { admin: true });
    expect(known).toMatchObject({ status: 404, body: { status: 404 } });
  });
});

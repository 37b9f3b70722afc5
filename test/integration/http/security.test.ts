import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../../src/protocols/chartboost/signature.js';
import { BACKENDS } from '../../helpers/backends.js';
import { startServerProcess } from '../../helpers/cli.js';
import { skippingClock } from '../../helpers/clock.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';
import { SKAN_4_HIGH } from '../../fixtures/apple-postbacks.js';

describe('TLS', () => {
  it('serves HTTPS itself with --tls-cert and --tls-key (a self-signed certificate made here)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-tls-'));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const server = await startServerProcess({ DATA_DIR: dir }, ['serve', '--port', '0', '--host', '127.0.0.1', '--tls-cert', cert, '--tls-key', key]);
    try {
      expect(server.url).toMatch(/^https:\/\//);
      // Verified against the certificate itself: a real TLS handshake, no verification switched off.
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${server.url}/healthz`, { ca: fs.readFileSync(cert) }, (res) => {
            let text = '';
            res.on('data', (c) => (text += c)).on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      expect(JSON.parse(body)).toMatchObject({ status: 200, message: 'ok' });
      await expect(fetch(server.url.replace('https', 'http') + '/healthz')).rejects.toThrow();
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(BACKENDS)('access control on $name', (backend) => {
  const clock = skippingClock();
  let server: TestServer;
  let a: any;
  let b: any;
  let tokenA: { token: string; secret: string };
  let clickB: string;
  let campaignB: any;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_RATE_LIMIT: '20' }, { clock });
    a = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'A', platform: 'android' } })).body;
    b = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'B', platform: 'android' } })).body;
    tokenA = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [a.app_id], secret: true } })).body;
    campaignB = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: b.app_id, network: 'n', name: 'c' } })).body;
    clickB = (await call(`${server.url}/click?campaign_id=${campaignB.campaign_id}&no_redirect=true`)).body.id;
    await call(`${server.url}/admin/apps/${b.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'adjust', app: 'securityb001' } });
    await call(`${server.url}/admin/apps/${b.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'apple', app: '525463029' } });
  });
  afterAll(async () => {
    await server.close();
  });

  it("refuses app A's token on app B in every protocol, storing nothing for B", async () => {
    const signed = (p: string, action: 'attribution' | 'pia', body: object) => {
      const text = JSON.stringify(body);
      return call(`${server.url}${p}`, {
        rawBody: text,
        headers: {
          'content-type': 'application/json',
          'x-chartboost-token': tokenA.token,
          // Signed correctly with A's secret and B's signature: only the grant is wrong.
          'x-chartboost-signature': signChartboost(action, tokenA.secret, b.app_signature, text),
        },
      });
    };
    const t = tokenA.token;
    // [name, request, HTTP status, the status in the body (the HTTP one unless given)]
    const attempts: [string, () => Promise<{ status: number; body: any }>, number, number?][] = [
      ['v1', () => signed('/api/v1/install.json', 'attribution', { app_id: b.app_id, gaid: 'x1', claim: 1 }), 200],
      ['v2 open', () => call(`${server.url}/api/v2/open?token=${t}&app_id=${b.app_id}&gaid=x2`), 403],
      ['v2 attributed_install', () => call(`${server.url}/api/v2/attributed_install?token=${t}&click_id=${clickB}`), 403],
      ['v3 track', () => signed('/event_service/v3/track', 'pia', { app_id: b.app_id, gaid: 'x3', iap: { product_id: 'p', price: 1, currency: 'USD' } }), 403],
      ['swaarm postback', () => call(`${server.url}/postback?s2s_token=${t}&app_id=${b.app_id}&user_id=u&event_id=e`), 403],
      ['swaarm s2sevent', () => call(`${server.url}/s2sevent?token=${t}&app_id=${b.app_id}&user_id=u&user_ip=1.2.3.4&user_ua=x`), 403],
      ['tracks measure', () => call(`${server.url}/measure`, { body: { app_id: b.app_id, user_id: 'u', event_name: 'game_open', ip: '1.2.3.4', time_stamp: 1795600000, platform: 'pc', storefront: 'steam' }, headers: { authorization: `Bearer ${t}` } }), 403],
      ['tracking s2stoken', () => call(`${server.url}/click?campaign_id=${campaignB.campaign_id}&s2stoken=${t}&no_redirect=true`), 403],
      // Adjust answers a token that does not match its app 401 (dev.adjust.com/en/api/s2s-api).
      ['adjust event', () => call(`${server.url}/event?s2s=1&app_token=securityb001&event_token=abc123&gps_adid=x4`, { headers: { authorization: `Bearer ${t}` } }), 401, 401],
      ['adjust session', () => call(`${server.url}/session?s2s=1&app_token=securityb001&gps_adid=x5`, { headers: { authorization: `Bearer ${t}` } }), 401, 401],
      // AppsFlyer answers a key that is not this app's 401 Unauthorized (dev.appsflyer.com, S2S events API).
      ['appsflyer inappevent', () => call(`${server.url}/inappevent/${b.app_id}`, { body: { appsflyer_id: '1234567890123-1234567', eventName: 'af_purchase', eventValue: '' }, headers: { authentication: t } }), 401, 401],
      ['max impression', () => call(`${server.url}/ad_revenue/max?token=${t}&app_id=${b.app_id}&event_id=e1&revenue=0.1&idfa=x7`), 403],
      ['skan forwarded', () => call(`${server.url}/skan/postbacks`, { method: 'POST', rawBody: SKAN_4_HIGH, headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` } }), 403],
      ['adjust ad revenue', () => call(`${server.url}/ad_revenue?s2s=1&app_token=securityb001&gps_adid=x6&source=publisher&revenue=0.01&currency=USD&ad_impressions_count=1`, { headers: { authorization: `Bearer ${t}` } }), 401, 401],
    ];
    for (const [name, send, httpStatus, bodyStatus = 403] of attempts) {
      const res = await send();
      expect(res.status, name).toBe(httpStatus);
      expect(res.body.status, name).toBe(bodyStatus);
      expect(res.body.message, name).toContain(`may not write to app ${b.app_id}`);
    }
    expect(await server.db.store.listInstalls(b.app_id)).toEqual([]);
    expect(await server.db.store.listEvents(b.app_id)).toEqual([]);
    expect(await server.db.store.listSkanPostbacks(b.app_id, 10)).toEqual([]);
  });

  it('rate-limits a token (429 with Retry-After), and the same token passes again a second later', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => call(`${server.url}/api/v2/open?token=${tokenA.token}&app_id=${a.app_id}&gaid=rl-${i}`)));
    const limited = answers.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(answers.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(20);
    expect(limited[0]!.body).toEqual({ status: 429, message: 'token: rate limit of 20 requests per second exceeded' });
    expect(limited[0]!.headers.get('retry-after')).toBe('1');
    // A second later (skipped, not slept) the bucket is full again.
    clock.advance(1000);
    expect((await call(`${server.url}/api/v2/open?token=${tokenA.token}&app_id=${a.app_id}&gaid=rl-after`)).status).toBe(200);
  });
});

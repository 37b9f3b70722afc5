import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../src/protocols/chartboost/signature.js';
import { BACKENDS } from '../helpers/backends.js';
import { cliJson, runCli } from '../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

interface Setup {
  app: any;
  other: any;
  campaign: any;
  token: string;
  secret: string;
}

describe.each(BACKENDS)('Chartboost S2S receiver on $name', (backend) => {
  let server: TestServer;
  let s: Setup;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_BODY_LIMIT: '4096' });
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'android', store_url: 'https://play.google.com/store/apps/details?id=g' } })).body;
    const other = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Other', platform: 'ios' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'Launch' } })).body;
    const issued = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id], secret: true, name: 'mmp' } })).body;
    s = { app, other, campaign, token: issued.token, secret: issued.secret };
  });
  afterAll(async () => {
    await server.close();
  });

  /** POSTs `body` exactly as given, signed over those bytes (or with the given signature). */
  function signedPost(p: string, body: string, action: 'attribution' | 'pia', opts: { token?: string; secret?: string; signature?: string; appSignature?: string } = {}) {
    const signature = opts.signature ?? signChartboost(action, opts.secret ?? s.secret, opts.appSignature ?? s.app.app_signature, body);
    return call(`${server.url}${p}`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-chartboost-token': opts.token ?? s.token, 'x-chartboost-signature': signature },
    });
  }

  async function click(query: Record<string, string>, kind = 'click'): Promise<string> {
    return (await call(`${server.url}/${kind}?${new URLSearchParams({ campaign_id: s.campaign.campaign_id, no_redirect: 'true', ...query })}`)).body.id;
  }

  describe('v1 POST /api/v1/install.json', () => {
    it("accepts the seed's example request, signed, and records a claimed install", async () => {
      // Seed 004's curl body (with our app id), byte for byte, spaces included.
      const body = `{"app_id": "${s.app.app_id}", "gaid": "8df6c9bf-d647-4400-bc13-7ff317f046f3", "claim": 1, "attributed_to": "Chartboost"}`;
      const res = await signedPost('/api/v1/install.json', body, 'attribution');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 200, message: 'Attribution request received' });
      const install = await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: '8df6c9bf-d647-4400-bc13-7ff317f046f3' });
      expect(install).toMatchObject({ status: 'attributed', match_type: 'claimed', network: 'chartboost', source: 'chartboost-v1' });
    });

    it('records claim=0 as not ours, kept as a known device, at the given timestamp', async () => {
      const ts = Math.floor(Date.now() / 1000) - 3600;
      const body = JSON.stringify({ app_id: s.app.app_id, ifa: 'AAAA-1', claim: 0, organic: 1, timestamp: ts });
      expect((await signedPost('/api/v1/install.json', body, 'attribution')).body).toEqual({ status: 200, message: 'Attribution request received' });
      const install = await server.db.store.getInstallByUser(s.app.app_id, { kind: 'idfa', value: 'aaaa-1' });
      expect(install).toMatchObject({ status: 'organic', network: null, installed_at: ts * 1000 });
      const known = await call(`${server.url}/admin/apps/${s.app.app_id}/known-devices`, { admin: true });
      expect(known.body.devices).toContainEqual({ idfa: 'aaaa-1' });
    });

    it('checks the signature over the raw bytes: other spacing or key order fails', async () => {
      const body = JSON.stringify({ app_id: s.app.app_id, gaid: 'sig-1', claim: 1 });
      const signature = signChartboost('attribution', s.secret, s.app.app_signature, body);
      const respaced = JSON.stringify({ app_id: s.app.app_id, gaid: 'sig-1', claim: 1 }, null, 1);
      const reordered = JSON.stringify({ claim: 1, app_id: s.app.app_id, gaid: 'sig-1' });
      for (const variant of [respaced, reordered]) {
        const res = await signedPost('/api/v1/install.json', variant, 'attribution', { signature });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ status: 403, message: expect.stringContaining('x-chartboost-signature: does not match') });
      }
      expect((await signedPost('/api/v1/install.json', body, 'attribution', { signature: signature.toUpperCase() })).body.status).toBe(200);
      expect(await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: 'sig-1' })).toBeDefined();
    });

    it('answers every error with HTTP 200 and the real status in the body', async () => {
      const revoked = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [s.app.app_id], secret: true } })).body;
      await call(`${server.url}/admin/tokens/revoke`, { admin: true, body: { token: revoked.token } });
      const noSecret = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [s.app.app_id] } })).body;
      const good = (extra: object = {}) => JSON.stringify({ app_id: s.app.app_id, gaid: 'e-1', claim: 1, ...extra });
      const cases: [() => Promise<{ status: number; body: any }>, number, string][] = [
        [() => signedPost('/api/v1/install.json', '{"app_id": ', 'attribution'), 400, 'malformed JSON'],
        [() => signedPost('/api/v1/install.json', '[1]', 'attribution'), 400, 'body: must be a JSON object'],
        [() => signedPost('/api/v1/install.json', good(), 'attribution', { token: 'nope' }), 403, 'x-chartboost-token: is not a valid token'],
        [() => signedPost('/api/v1/install.json', good(), 'attribution', { token: revoked.token, secret: revoked.secret }), 403, 'has been revoked'],
        [() => signedPost('/api/v1/install.json', good(), 'attribution', { token: noSecret.token }), 403, 'no signing secret'],
        [() => signedPost('/api/v1/install.json', good({ app_id: s.other.app_id }), 'attribution', { appSignature: s.other.app_signature }), 403, `may not write to app ${s.other.app_id}`],
        [() => signedPost('/api/v1/install.json', good({ app_id: 'f'.repeat(24) }), 'attribution'), 404, 'app_id: unknown app'],
        [() => signedPost('/api/v1/install.json', good({ app_id: 'nope' }), 'attribution'), 400, 'app_id: "nope" is not an app id'],
        [() => signedPost('/api/v1/install.json', JSON.stringify({ gaid: 'x', claim: 1 }), 'attribution'), 400, 'app_id: is required'],
        [() => signedPost('/api/v1/install.json', good(), 'pia'), 403, 'x-chartboost-signature'],
        [() => signedPost('/api/v1/install.json', good({ claim: undefined }), 'attribution'), 400, 'claim: is required'],
        [() => signedPost('/api/v1/install.json', good({ claim: 2 }), 'attribution'), 400, 'claim: must be 0 or 1'],
        [() => signedPost('/api/v1/install.json', good({ gaid: '00000000-0000-0000-0000-000000000000' }), 'attribution'), 400, 'gaid: at least one device id (gaid, ifa, uuid) is required'],
        [() => signedPost('/api/v1/install.json', good({ pad: 'x'.repeat(5000) }), 'attribution'), 413, 'body: larger than the limit'],
        [() => call(`${server.url}/api/v1/install.json`), 405, 'method: GET is not allowed here; use POST'],
      ];
      for (const [send, status, message] of cases) {
        const res = await send();
        expect(res.status, message).toBe(200);
        expect(res.body, message).toEqual({ status, message: expect.stringContaining(message) });
      }
      const get = await fetch(`${server.url}/api/v1/install.json`);
      expect(get.headers.get('allow')).toBe('POST');
    });
  });

  describe('v2 /api/v2/attributed_install', () => {
    it("takes the seed's POST body for a real click, and a replay counts once", async () => {
      const clickId = await click({ gaid: 'ai-1' });
      const body = { token: s.token, click_id: clickId, completed_view_id: '' };
      for (let i = 0; i < 3; i++) {
        const res = await call(`${server.url}/api/v2/attributed_install`, { body });
        expect(res).toMatchObject({ status: 200, body: { message: 'Install request received!', status: 200 } });
      }
      const installs = (await server.db.store.listInstalls(s.app.app_id)).filter((i) => i.touchpoint_id === clickId);
      expect(installs).toHaveLength(1);
      expect(installs[0]).toMatchObject({ status: 'attributed', match_type: 'claimed', campaign_id: s.campaign.campaign_id, network: 'chartboost' });
    });

    it("takes the seed's GET with a blank click_id and a completed view, and lets the click win when both come", async () => {
      const viewId = await click({ gaid: 'ai-2' }, 'view');
      const res = await call(`${server.url}/api/v2/attributed_install?token=${s.token}&click_id=&completed_view_id=${viewId}`);
      expect(res).toMatchObject({ status: 200, body: { status: 200 } });
      expect(await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: 'ai-2' })).toMatchObject({ match_type: 'claimed', touchpoint_id: viewId });

      const clickId = await click({ gaid: 'ai-3' });
      const otherView = await click({ gaid: 'ai-3' }, 'view');
      await call(`${server.url}/api/v2/attributed_install?token=${s.token}&click_id=${clickId}&completed_view_id=${otherView}`);
      expect(await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: 'ai-3' })).toMatchObject({ match_type: 'claimed', touchpoint_id: clickId });
    });

    it('refuses clicks older than 21 days and views older than 7, naming the window', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-cb-'));
      const file = path.join(dir, 'old.ndjson');
      const now = Math.floor(Date.now() / 1000);
      const oldClick = 'a1'.repeat(12);
      const oldView = 'b2'.repeat(12);
      const okClick = 'c3'.repeat(12);
      fs.writeFileSync(
        file,
        [
          { type: 'click', id: oldClick, time: now - 22 * 86_400, campaign_id: s.campaign.campaign_id },
          { type: 'view', id: oldView, time: now - 8 * 86_400, campaign_id: s.campaign.campaign_id },
          { type: 'click', id: okClick, time: now - 20 * 86_400, campaign_id: s.campaign.campaign_id },
        ]
          .map((l) => JSON.stringify(l))
          .join('\n'),
      );
      await cliJson(['import', '--app', s.app.app_id, '--file', file], server.db.env);
      fs.rmSync(dir, { recursive: true });
      const a = await call(`${server.url}/api/v2/attributed_install?token=${s.token}&click_id=${oldClick}`);
      expect(a).toMatchObject({ status: 400, body: { status: 400, message: 'click_id: the click is 22 days old; clicks are accepted up to 21 days after they happen' } });
      const b = await call(`${server.url}/api/v2/attributed_install?token=${s.token}&completed_view_id=${oldView}`);
      expect(b.body.message).toBe('completed_view_id: the view is 8 days old; views are accepted up to 7 days after they happen');
      expect((await call(`${server.url}/api/v2/attributed_install?token=${s.token}&click_id=${okClick}`)).status).toBe(200);
    });

    it('answers 400, 403, 404 and 405 as seed 003 lists them', async () => {
      const clickId = await click({ gaid: 'ai-err' });
      const otherToken = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [s.other.app_id] } })).body.token;
      const cases: [string, number, string][] = [
        [`?token=${s.token}`, 400, 'click_id: click_id or completed_view_id is required'],
        [`?token=${s.token}&click_id=&completed_view_id=`, 400, 'click_id: click_id or completed_view_id is required'],
        [`?token=${s.token}&click_id=${'0'.repeat(24)}`, 404, 'click_id: unknown click'],
        [`?token=${s.token}&click_id=not-ours`, 404, 'click_id: "not-ours" is not a click id'],
        [`?token=${s.token}&completed_view_id=${clickId}`, 404, 'completed_view_id: unknown view'],
        [`?click_id=${clickId}`, 403, 'token: is required'],
        [`?token=wrong&click_id=${clickId}`, 403, 'token: is not a valid token'],
        [`?token=${otherToken}&click_id=${clickId}`, 403, 'may not write to app'],
      ];
      for (const [query, status, message] of cases) {
        const res = await call(`${server.url}/api/v2/attributed_install${query}`);
        expect(res.status, query).toBe(status);
        expect(res.body).toEqual({ status, message: expect.stringContaining(message) });
      }
      const put = await fetch(`${server.url}/api/v2/attributed_install`, { method: 'PUT' });
      expect(put.status).toBe(405);
      expect(put.headers.get('allow')).toBe('GET, POST');
    });
  });

  describe('v2 /api/v2/open', () => {
    it("takes the seed's POST body: a session, a known device, and a rejected install marked with its reason", async () => {
      const clickId = await click({ gaid: 'op-1' });
      await call(`${server.url}/api/v2/attributed_install`, { body: { token: s.token, click_id: clickId } });
      // Seed 003's Node sample, filled in (and its missing commas fixed).
      const body = {
        token: s.token,
        app_id: s.app.app_id,
        idfa: '',
        gaid: 'OP-1',
        uuid: 'android-id-1',
        click_id: clickId,
        completed_view_id: '',
        tracking_id: 'trk-7',
        version: '1.4.2',
        rejected_reason: 'ctit_too_short',
        rejected_value: '3s',
      };
      const res = await call(`${server.url}/api/v2/open`, { body });
      expect(res).toMatchObject({ status: 200, body: { message: 'Bootup request received!', status: 200 } });
      expect(await server.db.store.getInstallByUser(s.app.app_id, { kind: 'gaid', value: 'op-1' })).toMatchObject({
        status: 'rejected',
        rejected_reason: 'ctit_too_short',
        rejected_value: '3s',
        touchpoint_id: clickId,
      });
      const opens = (await server.db.store.listEvents(s.app.app_id)).filter((e) => e.kind === 'open' && e.event_value?.includes('trk-7'));
      expect(opens).toHaveLength(1);
      expect(JSON.parse(opens[0]!.event_value!)).toEqual({ click_id: clickId, tracking_id: 'trk-7', version: '1.4.2' });
    });

    it("takes the seed's iOS GET for an organic device and lists it for negative targeting", async () => {
      const res = await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&idfa=ORG-IDFA-1&tracking_id=t&version=2`);
      expect(res.body).toEqual({ message: 'Bootup request received!', status: 200 });
      // Case-insensitive: the same device in lower case is the same user.
      await call(`${server.url}/api/v2/open?token=${s.token}&app_id=${s.app.app_id}&idfa=org-idfa-1`);
      const installs = (await server.db.store.listInstalls(s.app.app_id)).filter((i) => i.source === 'chartboost-v2-open');
      expect(installs.filter((i) => i.status === 'organic')).toHaveLength(1);
      const exported = await runCli(['audience', 'export', '--app', s.app.app_id, '--known-devices', '--format', 'csv'], server.db.env);
      expect(exported.stdout.split('\n')).toContain('idfa,org-idfa-1');
      const json = await cliJson(['audience', 'export', '--app', s.app.app_id, '--known-devices'], server.db.env);
      expect(json.devices).toContainEqual({ idfa: 'org-idfa-1' });
    });

    it('names the field at fault', async () => {
      const base = `token=${s.token}&app_id=${s.app.app_id}`;
      const cases: [string, number, string][] = [
        [`token=${s.token}&idfa=x`, 400, 'app_id: is required'],
        [base, 400, 'idfa: at least one device id (idfa, gaid, uuid, fire_adid) is required'],
        [`${base}&idfa=00000000-0000-0000-0000-000000000000`, 400, 'at least one device id'],
        [`${base}&idfa=x&rejected_reason=fraud`, 400, 'click_id: a rejected install needs its click_id or completed_view_id'],
        [`token=${s.token}&app_id=${'e'.repeat(24)}&idfa=x`, 404, 'app_id: unknown app'],
        [`app_id=${s.app.app_id}&idfa=x`, 403, 'token: is required'],
        [`token=x&app_id=${s.app.app_id}&idfa=x`, 403, 'token: is not a valid token'],
        [`${base}&idfa=a&idfa=b`, 400, 'idfa: sent more than once with different values'],
      ];
      for (const [query, status, message] of cases) {
        const res = await call(`${server.url}/api/v2/open?${query}`);
        expect(res.status, query).toBe(status);
        expect(res.body).toEqual({ status, message: expect.stringContaining(message) });
      }
    });
  });

  describe('v3 POST /event_service/v3/track', () => {
    const iapBody = (appId: string, extra: object = {}) =>
      JSON.stringify({
        app_id: appId,
        gaid: '8df6c9bf-d647-4400-bc13-7ff317f046f3',
        iap: { product_id: 'bag_of_gems', currency: 'USD', price: 1.99, localized_title: 'bolsa de gemas', localized_description: 'un bolsa de gemas' },
        ...extra,
      });

    it("takes the seed's signed purchase and stores it with its revenue", async () => {
      const res = await signedPost('/event_service/v3/track', iapBody(s.app.app_id), 'pia');
      expect(res).toMatchObject({ status: 200, body: { status: 200, message: 'OK' } });
      const purchases = (await server.db.store.listEvents(s.app.app_id)).filter((e) => e.kind === 'purchase' && e.product_id === 'bag_of_gems');
      expect(purchases).toHaveLength(1);
      expect(purchases[0]).toMatchObject({ revenue: 1.99, currency: 'USD', source: 'chartboost-v3-track' });
      expect(JSON.parse(purchases[0]!.event_value!)).toEqual({ localized_title: 'bolsa de gemas', localized_description: 'un bolsa de gemas' });
    });

    it('refuses bad purchases, bad signatures and other methods as seed 003 lists them', async () => {
      const iap = (over: object) => iapBody(s.app.app_id, { iap: { product_id: 'p', price: 1, currency: 'EUR', ...over } });
      const cases: [() => Promise<{ status: number; body: any }>, number, string][] = [
        [() => signedPost('/event_service/v3/track', iapBody(s.app.app_id, { iap: undefined }), 'pia'), 400, 'iap: is required'],
        [() => signedPost('/event_service/v3/track', iapBody(s.app.app_id, { iap: 'gems' }), 'pia'), 400, 'iap: must be an object'],
        [() => signedPost('/event_service/v3/track', iap({ product_id: undefined }), 'pia'), 400, 'iap.product_id: is required'],
        [() => signedPost('/event_service/v3/track', iap({ price: '1.99' }), 'pia'), 400, 'iap.price: must be a number'],
        [() => signedPost('/event_service/v3/track', iap({ price: -1 }), 'pia'), 400, 'iap.price: must be at least 0'],
        [() => signedPost('/event_service/v3/track', iap({ currency: 'US' }), 'pia'), 400, 'iap.currency: must be a 3-letter currency code'],
        [() => signedPost('/event_service/v3/track', iapBody(s.app.app_id, { gaid: undefined }), 'pia'), 400, 'ifa: at least one device id'],
        [() => signedPost('/event_service/v3/track', iapBody(s.app.app_id), 'attribution'), 403, 'x-chartboost-signature'],
        [() => signedPost('/event_service/v3/track', iapBody(s.app.app_id), 'pia', { signature: '' }), 403, 'x-chartboost-signature'],
        [() => signedPost('/event_service/v3/track', iapBody('d'.repeat(24)), 'pia'), 404, 'app_id: unknown app'],
        [() => call(`${server.url}/event_service/v3/track`), 405, 'method: GET is not allowed here; use POST'],
      ];
      for (const [send, status, message] of cases) {
        const res = await send();
        expect(res.status, message).toBe(status);
        expect(res.body, message).toEqual({ status, message: expect.stringContaining(message) });
      }
    });
  });

  it('answers 503 with Retry-After when the write queue is full, so senders retry as seed 003 asks', async () => {
    const tiny = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_WRITE_QUEUE_LIMIT: '1', S2S_WRITE_BATCH_MS: '20' });
    try {
      const app = (await call(`${tiny.url}/admin/apps`, { admin: true, body: { name: 'A', platform: 'ios' } })).body;
      const token = (await call(`${tiny.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => call(`${tiny.url}/api/v2/open?token=${token}&app_id=${app.app_id}&idfa=busy-${i}`)),
      );
      const busy = answers.filter((a) => a.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy[0]!.body).toEqual({ status: 503, message: 'write queue is full; retry later' });
      expect(busy[0]!.headers.get('retry-after')).toBe('1');
      // What was acknowledged is stored; what was refused is not.
      const stored = await tiny.db.store.listKnownDevices(app.app_id);
      expect(stored).toHaveLength(answers.filter((a) => a.status === 200).length);
    } finally {
      await tiny.close();
    }
  });
});

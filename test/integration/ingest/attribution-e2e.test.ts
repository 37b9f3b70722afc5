import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

describe.each(BACKENDS)('attribution end to end on $name', (backend) => {
  let server: TestServer;
  let seq = 0;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-import-'));

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** An app with one campaign and one token, through the admin API; CTIT check off unless asked. */
  async function setup(platform = 'ios', settings: Record<string, unknown> = { min_ctit_s: 0 }) {
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: `app ${++seq}`, platform } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: settings });
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'c' } })).body;
    const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token as string;
    return { app, campaign, token };
  }

  async function click(campaignId: string, query: Record<string, string> = {}, kind: 'click' | 'view' = 'click'): Promise<string> {
    const res = await call(`${server.url}/${kind}?${new URLSearchParams({ campaign_id: campaignId, no_redirect: 'true', ...query })}`);
    expect(res.status).toBe(200);
    return res.body.id;
  }

  async function s2sevent(token: string, query: Record<string, string>) {
    return call(`${server.url}/s2sevent?${new URLSearchParams({ token, ...query })}`);
  }

  async function importLines(appId: string, lines: object[]) {
    const file = path.join(tmp, `f${++seq}.ndjson`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    return cliJson(['import', '--app', appId, '--file', file], server.db.env);
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

  it('gives organic for an 8-day-old click, and credits an older click over a newer view', async () => {
    const { app, campaign } = await setup();
    const view = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'vungle', name: 'v' } })).body;
    const now = Math.floor(Date.now() / 1000);
    const summary = await importLines(app.app_id, [
      { type: 'click', time: now - 8 * DAY, campaign_id: campaign.campaign_id, idfa: 'OLD-DEVICE' },
      { type: 'install', time: now - HOUR, idfa: 'old-device' },
      { type: 'click', time: now - 5 * HOUR, campaign_id: campaign.campaign_id, gaid: 'g-2' },
      { type: 'view', time: now - 2 * HOUR, campaign_id: view.campaign_id, gaid: 'g-2' },
      { type: 'open', time: now - HOUR, gaid: 'G-2' },
    ]);
    expect(summary.errors).toEqual([]);
    expect(summary.imported).toMatchObject({ click: 2, view: 1, install: 1, open: 1 });
    const byIdfa = await server.db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: 'old-device' });
    expect(byIdfa).toMatchObject({ status: 'organic', match_type: 'organic' });
    const byGaid = await server.db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: 'g-2' });
    expect(byGaid).toMatchObject({ status: 'attributed', match_type: 'device_id', campaign_id: campaign.campaign_id, network: 'chartboost' });

    // Importing the same file again adds nothing.
    const again = await importLines(app.app_id, [
      { type: 'click', time: now - 8 * DAY, campaign_id: campaign.campaign_id, idfa: 'OLD-DEVICE' },
      { type: 'install', time: now - HOUR, idfa: 'old-device' },
      { type: 'open', time: now - HOUR, gaid: 'G-2' },
    ]);
    expect(again.imported).toMatchObject({ click: 0, install: 0, open: 0 });
    expect(again.duplicates).toBe(3);
  });

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

  describe('fraud rules', () => {
    it('rejects a click-to-install time under 10 s (ctit_too_short)', async () => {
      const { app, campaign, token } = await setup('ios', {});
      await click(campaign.campaign_id, { idfa: 'fast-1' });
      const res = await s2sevent(token, { user_id: 'f1', idfa: 'FAST-1', user_ip: '198.51.100.1', user_ua: 'UA' });
      expect(res.body.attribution).toMatchObject({ status: 'rejected', match_type: 'device_id', campaign_id: campaign.campaign_id });
      const install = await server.db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: 'fast-1' });
      expect(install).toMatchObject({ status: 'rejected', rejected_reason: 'ctit_too_short' });
      expect(install!.rejected_value).toMatch(/^\d\.\ds$/);
    });

    it('rejects more than N installs per IP in 24 h (ip_install_flood)', async () => {
      const { app, campaign, token } = await setup('ios', { min_ctit_s: 0, max_installs_per_ip: 2 });
      const results = [];
      for (let i = 0; i < 4; i++) {
        await click(campaign.campaign_id, { idfa: `farm-${i}` });
        results.push((await s2sevent(token, { user_id: `farm-user-${i}`, idfa: `farm-${i}`, user_ip: '198.51.100.99', user_ua: 'UA' })).body.attribution.status);
      }
      expect(results).toEqual(['attributed', 'attributed', 'rejected', 'rejected']);
      const rejected = (await server.db.store.listInstalls(app.app_id)).filter((i) => i.status === 'rejected');
      expect(rejected.map((i) => i.rejected_reason)).toEqual(['ip_install_flood', 'ip_install_flood']);
      expect(rejected[0]!.rejected_value).toBe('3 installs from 198.51.100.99 in 24h');
    });

    it('rejects installs from a blocked range (blocked_ip), set through the CLI', async () => {
      const { app, campaign, token } = await setup('ios', { min_ctit_s: 0 });
      const configured = await cliJson(['apps', 'configure', '--app', app.app_id, '--blocked-ips', '10.0.0.0/8, 2001:db8::/32'], server.db.env);
      expect(configured.settings.blocked_cidrs).toEqual(['10.0.0.0/8', '2001:db8::/32']);
      server.services.catalog.invalidate(); // the CLI wrote from another process
      await click(campaign.campaign_id, { idfa: 'dc-1' });
      const res = await s2sevent(token, { user_id: 'dc', idfa: 'dc-1', user_ip: '10.20.30.40', user_ua: 'UA' });
      expect(res.body.attribution.status).toBe('rejected');
      expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: 'dc-1' })).toMatchObject({ rejected_reason: 'blocked_ip', rejected_value: '10.20.30.40 in 10.0.0.0/8' });
      const bad = await runCli(['apps', 'configure', '--app', app.app_id, '--blocked-ips', '10.0.0.0/99'], server.db.env);
      expect(bad.stderr).toBe('error: --blocked-ips: "10.0.0.0/99" is not an IP address or CIDR range\n');
    });

    it('does not apply to organic installs', async () => {
      const { app, token } = await setup('ios', { max_installs_per_ip: 1 });
      for (let i = 0; i < 3; i++) await s2sevent(token, { user_id: `org-${i}`, user_ip: '198.51.100.5', user_ua: 'UA' });
      expect((await server.db.store.listInstalls(app.app_id)).map((i) => i.status)).toEqual(['organic', 'organic', 'organic']);
    });
  });

  it('records a reinstall when a known user comes back after a long absence', async () => {
    const { app } = await setup();
    const now = Math.floor(Date.now() / 1000);
    await importLines(app.app_id, [
      { type: 'open', time: now - 60 * DAY, user_id: 'returning' },
      { type: 'open', time: now - 59 * DAY, user_id: 'returning' },
      { type: 'open', time: now - DAY, user_id: 'returning' },
    ]);
    expect((await server.db.store.listInstalls(app.app_id)).map((i) => i.kind)).toEqual(['install', 'reinstall']);
  });

  it('speaks Swaarm and TRACKS errors: 400 for missing fields, 401 for bad tokens', async () => {
    const { token } = await setup();
    const cases: [string, RequestInit & { headers?: Record<string, string> }, number, string][] = [
      [`/postback?s2s_token=${token}&event_id=x`, {}, 400, 'user_id: is required'],
      [`/postback?s2s_token=${token}&user_id=u`, {}, 400, 'event_id: is required'],
      [`/postback?user_id=u&event_id=x`, {}, 401, 's2s_token: is required'],
      [`/postback?s2s_token=nope&user_id=u&event_id=x`, {}, 401, 's2s_token: is not a valid token'],
      [`/postback?user_id=u&event_id=x`, { headers: { authorization: 'wrong' } }, 401, 'authorization: is not a valid token'],
      [`/postback?s2s_token=${token}&user_id=u&event_id=x&sale_amount=-1`, {}, 400, 'sale_amount: must be at least 0'],
      [`/postback?s2s_token=${token}&user_id=u&event_id=x&sale_amount_currency=euro`, {}, 400, 'sale_amount_currency: must be a 3-letter currency code'],
      [`/s2sevent?token=${token}&user_id=u&user_ua=x`, {}, 400, 'user_ip: is required'],
      [`/s2sevent?token=${token}&user_id=u&user_ip=1.2.3.4`, {}, 400, 'user_ua: is required'],
      [`/s2sevent?token=${token}&user_id=u&user_ip=1.2.3.4&user_ua=x&event_id=a&event_id=b`, {}, 400, 'event_id: sent more than once with different values'],
      [`/measure`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }, 401, 'authorization: a Bearer token is required'],
      [`/measure`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', authorization: 'Bearer nope' } }, 401, 'authorization: is not a valid token'],
      [`/measure`, { method: 'POST', body: '{"user_id":', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, 400, 'malformed JSON'],
      [`/no-such-endpoint`, {}, 404, 'no route'],
    ];
    for (const [p, init, status, message] of cases) {
      const res = await fetch(`${server.url}${p}`, init);
      const body = await res.json();
      expect(res.status, p).toBe(status);
      expect(body, p).toEqual({ status, message: expect.stringContaining(message) });
    }
    // The seed's own /s2sevent example repeats event_id, once blank: that is one event id.
    const seedStyle = await s2sevent(token, { event_id: 'registration', user_id: 'seed-user', user_ip: '1.2.3.4', user_ua: 'UA' });
    expect(seedStyle.status).toBe(200);
    const repeated = await fetch(`${server.url}/s2sevent?event_id=registration&token=${token}&user_id=seed-user&event_id=&user_ip=1.2.3.4&user_ua=UA`);
    expect(repeated.status).toBe(200);
  });
});

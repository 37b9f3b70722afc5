import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { clickOn, setupApp } from '../../helpers/apps.js';
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

  const setup = (platform?: string, settings?: Record<string, unknown>) => setupApp(server, platform, settings);
  const click = (campaignId: string, query?: Record<string, string>) => clickOn(server, campaignId, query);

  async function s2sevent(token: string, query: Record<string, string>) {
    return call(`${server.url}/s2sevent?${new URLSearchParams({ token, ...query })}`);
  }

  async function importLines(appId: string, lines: object[]) {
    const file = path.join(tmp, `f${++seq}.ndjson`);
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    return cliJson(['import', '--app', appId, '--file', file], server.db.env);
  }

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

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import { newId } from '../../../src/domain/ids.js';
import { applyBatch } from '../../../src/ingest/apply-batch.js';
import type { ConversionRecord, WriteOp } from '../../../src/ingest/records.js';
import { openStore } from '../../../src/storage/db.js';
import { touchpoint } from '../../helpers/fixtures.js';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { rawQuery } from '../../helpers/raw-sql.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

const jan = (day: number, hour = 0, second = 0) => new Date(Date.UTC(2026, 0, day, hour, 0, second)).toISOString();

/**
 * Re-engagement and reattribution (domain/engagement.ts) through the real ingest path: import
 * lines with their own times for a hand-computed report, and live Adjust sessions whose
 * postbacks reach a real receiver.
 */
describe.each(BACKENDS)('re-engagement and reattribution on $name', (backend: TestBackend) => {
  let server: TestServer;
  let receiver: Receiver;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_DISPATCH_POLL_MS: '20' });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await server?.close();
  });

  async function importLines(appId: string, lines: object[]): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-engage-'));
    const file = path.join(dir, 'lines.ndjson');
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    try {
      const summary = await cliJson(['import', '--app', appId, '--file', file], server.db.env);
      expect(summary.errors).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a hand-computed month: who came back, by what, credited what; rejected and ineligible returns count nowhere', async () => {
    const env = server.db.env;
    const app = await cliJson(['apps', 'create', '--name', 'Engage', '--platform', 'android'], env);
    const a = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'unity', '--name', 'A', '--cpi', '2'], env);
    const b = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'vungle', '--name', 'B'], env);
    const r = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'liftoff', '--name', 'R', '--kind', 'retargeting'], env);
    expect(r).toMatchObject({ kind: 'retargeting', re_engagement_window_s: null });
    await cliJson(['apps', 'configure', '--app', app.app_id, '--blocked-ips', '198.51.100.0/24'], env);
    const clickX = 'c0ffee0000000000000000aa';
    await importLines(app.app_id, [
      // u1: installs through A; clicks R on day 3 and opens: a re-engagement by device id. Its
      // $10 purchase on day 5 is A's revenue and R's engaged revenue.
      { type: 'click', time: jan(1), campaign_id: a.campaign_id, gaid: 'g1' },
      { type: 'open', time: jan(1, 1), gaid: 'g1' },
      { type: 'click', time: jan(3), campaign_id: r.campaign_id, gaid: 'g1' },
      { type: 'open', time: jan(3, 2), gaid: 'g1' },
      { type: 'event', time: jan(5), gaid: 'g1', event_id: 'purchase', revenue: 10, currency: 'USD' },
      // u2: organic; an R click 8 days before its next open counts for nothing (7-day window);
      // an R click named by its click id on day 20 re-engages it.
      { type: 'open', time: jan(1, 3), gaid: 'g2' },
      { type: 'click', time: jan(9), campaign_id: r.campaign_id, gaid: 'g2' },
      { type: 'open', time: jan(17, 1), gaid: 'g2' },
      { type: 'click', time: jan(20), campaign_id: r.campaign_id, id: clickX },
      { type: 'open', time: jan(20, 1), gaid: 'g2', click_id: clickX },
      // u3: organic, away 11 days, clicks B (user acquisition) and opens: reattributed to B,
      // with its $2 of ads the next day.
      { type: 'open', time: jan(1, 4), gaid: 'g3' },
      { type: 'click', time: jan(12), campaign_id: b.campaign_id, gaid: 'g3' },
      { type: 'open', time: jan(12, 1), gaid: 'g3' },
      { type: 'ad_revenue', time: jan(13), gaid: 'g3', revenue: 2, currency: 'USD', ad_impressions: 8 },
      // u4: installs through A, away 14 days, clicks A again: the campaign it has already.
      { type: 'click', time: jan(1), campaign_id: a.campaign_id, gaid: 'g4' },
      { type: 'open', time: jan(1, 5), gaid: 'g4' },
      { type: 'click', time: jan(15), campaign_id: a.campaign_id, gaid: 'g4' },
      { type: 'open', time: jan(15, 1), gaid: 'g4' },
      // u5: organic; comes back 5 s after an R click (a deep link: no CTIT rule for engagements)
      // but from a blocked IP: rejected, credits nothing.
      { type: 'open', time: jan(1, 6), gaid: 'g5' },
      { type: 'click', time: jan(2), campaign_id: r.campaign_id, gaid: 'g5' },
      { type: 'open', time: jan(2, 0, 5), gaid: 'g5', ip: '198.51.100.7' },
      { type: 'event', time: jan(2, 1), gaid: 'g5', event_id: 'purchase', revenue: 50, currency: 'USD' },
    ]);

    const rows = await rawQuery(server.db, `select i.kind, i.status, i.match_type, i.campaign_id, i.rejected_reason, i.revenue_usd, i.ad_impressions, ui.value as gaid
      from installs i join user_identities ui on ui.user_pk = i.user_pk and ui.kind = 'gaid' where i.app_id = $1 and i.kind <> 'install' order by i.installed_at`, [app.app_id]);
    expect(rows.map((row) => ({ ...row, revenue_usd: Number(row.revenue_usd), ad_impressions: Number(row.ad_impressions) }))).toEqual([
      { kind: 're-engagement', status: 'rejected', match_type: 'device_id', campaign_id: r.campaign_id, rejected_reason: 'blocked_ip', revenue_usd: 0, ad_impressions: 0, gaid: 'g5' },
      { kind: 're-engagement', status: 'attributed', match_type: 'device_id', campaign_id: r.campaign_id, rejected_reason: null, revenue_usd: 10, ad_impressions: 0, gaid: 'g1' },
      { kind: 'reattribution', status: 'attributed', match_type: 'device_id', campaign_id: b.campaign_id, rejected_reason: null, revenue_usd: 2, ad_impressions: 8, gaid: 'g3' },
      { kind: 're-engagement', status: 'attributed', match_type: 'click_id', campaign_id: r.campaign_id, rejected_reason: null, revenue_usd: 0, ad_impressions: 0, gaid: 'g2' },
    ]);

    const report = await cliJson(['report', '--app', app.app_id, '--from', '2026-01-01', '--to', '2026-01-31', '--group-by', 'campaign'], env);
    const row = (name: string | null) => report.rows.find((x: { campaign_name: string | null }) => x.campaign_name === name);
    const fields = ['clicks', 'installs', 'organic_installs', 're_engagements', 'reattributions', 'engaged_revenue_usd', 'revenue_usd', 'spend'];
    const pick = (x: Record<string, unknown>) => Object.fromEntries(fields.map((f) => [f, x[f]]));
    // The install's campaign keeps its users' revenue (u1's $10 is A's); the engagement's
    // campaign is credited it too, as engaged revenue. u5's $50 is the organic row's only.
    expect(pick(row('A'))).toEqual({ clicks: 3, installs: 2, organic_installs: 0, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0, revenue_usd: 10, spend: 4 });
    expect(pick(row('B'))).toEqual({ clicks: 1, installs: 0, organic_installs: 0, re_engagements: 0, reattributions: 1, engaged_revenue_usd: 2, revenue_usd: 0, spend: 0 });
    expect(pick(row('R'))).toEqual({ clicks: 4, installs: 0, organic_installs: 0, re_engagements: 2, reattributions: 0, engaged_revenue_usd: 10, revenue_usd: 0, spend: 0 });
    expect(pick(row(null))).toEqual({ clicks: 0, installs: 0, organic_installs: 3, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0, revenue_usd: 52, spend: 0 });
    expect(pick(report.totals)).toEqual({ clicks: 8, installs: 2, organic_installs: 3, re_engagements: 2, reattributions: 1, engaged_revenue_usd: 12, revenue_usd: 62, spend: 4 });
    // By day: each on the day the user came back.
    const byDay = await cliJson(['report', '--app', app.app_id, '--from', '2026-01-01', '--to', '2026-01-31'], env);
    const days = byDay.rows.filter((x: { re_engagements: number; reattributions: number }) => x.re_engagements + x.reattributions > 0);
    expect(days.map((x: { day: string; re_engagements: number; reattributions: number }) => [x.day, x.re_engagements, x.reattributions])).toEqual([
      ['2026-01-03', 1, 0],
      ['2026-01-12', 0, 1],
      ['2026-01-20', 1, 0],
    ]);
  });

  it("an app's and a campaign's windows, and their bad values, through the CLI and the admin API", async () => {
    const env = server.db.env;
    const app = await cliJson(['apps', 'create', '--name', 'Windows', '--platform', 'ios'], env);
    const configured = await cliJson(
      ['apps', 'configure', '--app', app.app_id, '--re-engagement-window', '3d', '--re-engagement-attribution-window', '60d', '--inactivity-window', '0', '--probabilistic-re-engagement', 'on'],
      env,
    );
    expect(configured.settings).toMatchObject({ re_engagement_window_s: 3 * 86_400, re_engagement_attribution_window_s: 60 * 86_400, inactivity_window_s: 0, re_engagement_probabilistic: true });
    expect(configured.has_retargeting).toBe(false);
    // "default" resets a setting (it failed as "must be a whole number" before: commander stored the parser's null as '').
    await cliJson(['apps', 'configure', '--app', app.app_id, '--min-ctit', '5'], env);
    const reset = await cliJson(['apps', 'configure', '--app', app.app_id, '--probabilistic-re-engagement', 'default', '--min-ctit', 'default', '--inactivity-window', 'default'], env);
    expect(reset.settings).toMatchObject({ re_engagement_probabilistic: null, min_ctit_s: null, inactivity_window_s: null, re_engagement_window_s: 3 * 86_400 });

    const bad = await runCli(['apps', 'configure', '--app', app.app_id, '--re-engagement-window', '91d'], env);
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('--re-engagement-window: at most 90d') });

    const api = await call(`${server.url}/admin/campaigns`, {
      admin: true,
      body: { app_id: app.app_id, network: 'liftoff', name: 'win-back', kind: 'retargeting', re_engagement_window_s: 86_400, re_engagement_attribution_window_s: 7 * 86_400 },
    });
    expect(api.status).toBe(201);
    expect(api.body).toMatchObject({ kind: 'retargeting', re_engagement_window_s: 86_400, re_engagement_attribution_window_s: 7 * 86_400 });
    expect((await call(`${server.url}/admin/apps/${app.app_id}`, { admin: true })).body.has_retargeting).toBe(true);
    const refused = await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'n', name: 'x', kind: 'brand' } });
    expect(refused).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^kind: /) } });
    const settings = await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { inactivity_window_s: -1 } });
    expect(settings).toMatchObject({ status: 400, body: { message: expect.stringMatching(/^inactivity_window_s: /) } });
  });

  it('live: an Adjust session after a retargeting click is a re-engagement, and its postbacks go to the retargeting network', async () => {
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Live', platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token as string;
    const adjust = `rt${Date.now().toString(36)}`.padEnd(12, 'x').slice(0, 12);
    await call(`${server.url}/admin/apps/${app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'adjust', app: adjust, events: { buy123: 'purchase' } } });
    const campaign = async (network: string, kind: string) =>
      (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network, name: `${network} ${kind}`, kind } })).body;
    const retargeting = await campaign('liftoff', 'retargeting');
    const acquisition = await campaign('vungle', 'acquisition');
    const template = `${receiver.url}/{network}?ev={event_id}&c={campaign_id}&m={match_type}&click={click_id}&rev={revenue}`;
    for (const [network, events] of [['liftoff', ['re-engagement', 'purchase']], ['vungle', ['reattribution']]] as const) {
      const pb = await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: app.app_id, network, format: 'url', url: template.replace('{network}', network), events } });
      expect(pb.status, JSON.stringify(pb.body)).toBe(201);
    }
    const session = (gaid: string, extra: Record<string, string> = {}) =>
      call(`${server.url}/session?${new URLSearchParams({ s2s: '1', app_token: adjust, gps_adid: gaid, ...extra })}`, { headers: { authorization: `Bearer ${token}` } });
    const tenDaysAgo = String(Math.floor(Date.now() / 1000) - 10 * 86_400);
    const click = async (campaignId: string, gaid: string) =>
      (await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaignId, no_redirect: 'true', gaid })}`)).body.id as string;

    // Installed ten days ago (organic), clicks the retargeting campaign, comes back; pays.
    expect((await session('a1a1a1a1-0000-4000-8000-000000000001', { created_at_unix: tenDaysAgo })).status).toBe(200);
    const rtClick = await click(retargeting.campaign_id, 'a1a1a1a1-0000-4000-8000-000000000001');
    expect((await session('a1a1a1a1-0000-4000-8000-000000000001')).status).toBe(200);
    const paid = await call(`${server.url}/event?${new URLSearchParams({ s2s: '1', app_token: adjust, event_token: 'buy123', gps_adid: 'a1a1a1a1-0000-4000-8000-000000000001', revenue: '4.99', currency: 'USD' })}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(paid.status).toBe(200);
    // Another user, away ten days, clicks a user-acquisition campaign: reattributed.
    expect((await session('b2b2b2b2-0000-4000-8000-000000000002', { created_at_unix: tenDaysAgo })).status).toBe(200);
    const uaClick = await click(acquisition.campaign_id, 'b2b2b2b2-0000-4000-8000-000000000002');
    expect((await session('b2b2b2b2-0000-4000-8000-000000000002')).status).toBe(200);

    // A third, re-engaged by a click that a Chartboost open rejects in the same sighting: the
    // engagement is stored rejected, and neither it nor the purchase after is told or credited.
    expect((await session('c3c3c3c3-0000-4000-8000-000000000003', { created_at_unix: tenDaysAgo })).status).toBe(200);
    const fraudClick = await click(retargeting.campaign_id, 'c3c3c3c3-0000-4000-8000-000000000003');
    const rejecting = await call(`${server.url}/api/v2/open?${new URLSearchParams({ token, app_id: app.app_id, gaid: 'c3c3c3c3-0000-4000-8000-000000000003', click_id: fraudClick, rejected_reason: 'fraud' })}`);
    expect(rejecting.status).toBe(200);
    const afterRejection = await call(`${server.url}/event?${new URLSearchParams({ s2s: '1', app_token: adjust, event_token: 'buy123', gps_adid: 'c3c3c3c3-0000-4000-8000-000000000003', revenue: '9.99', currency: 'USD' })}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(afterRejection.status).toBe(200);
    const rejectedRows = await rawQuery(server.db, `select kind, status, rejected_reason, revenue_usd from installs where app_id = $1 and touchpoint_id = $2`, [app.app_id, fraudClick]);
    expect(rejectedRows.map((x) => ({ ...x, revenue_usd: Number(x.revenue_usd) }))).toEqual([{ kind: 're-engagement', status: 'rejected', rejected_reason: 'fraud', revenue_usd: 0 }]);

    const got = await receiver.waitFor(3);
    const seen = got.map((req) => Object.fromEntries(new URL(req.url, receiver.url).searchParams)).sort((x, y) => x.ev!.localeCompare(y.ev!));
    expect(seen).toEqual([
      { ev: 'purchase', c: retargeting.campaign_id, m: 'device_id', click: rtClick, rev: '4.99' },
      { ev: 're-engagement', c: retargeting.campaign_id, m: 'device_id', click: rtClick, rev: '' },
      { ev: 'reattribution', c: acquisition.campaign_id, m: 'device_id', click: uaClick, rev: '' },
    ]);
    expect(got.map((req) => req.url.split('?')[0]).sort()).toEqual(['/liftoff', '/liftoff', '/vungle']);
    // Nothing more: the installs were organic (no network to tell), and each engagement is told once.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(3);
  });
});

describe.each(BACKENDS)('re-engagement inside one group commit on $name', (backend: TestBackend) => {
  it('a rejection and a purchase in the same batch: the rejected engagement is credited nothing', async () => {
    const env = { ...backend.env(), LOG_LEVEL: 'silent' };
    const store = openStore(loadConfig(env));
    try {
      await store.migrate();
      const created = await store.createApp({ name: 'batch', platform: 'android', store: 'google_play', store_url: null });
      const campaign = await store.createCampaign({ app_id: created.app_id, network: 'liftoff', name: 'r', cpi: null, click_window_s: null, view_window_s: null, probabilistic_window_s: null, kind: 'retargeting' });
      const app = (await store.getApp(created.app_id))!;
      const now = Date.now();
      const sighting = (time: number, over: Partial<ConversionRecord> = {}): WriteOp => ({
        kind: 'conversion',
        conversion: { app, time, receivedAt: time, source: 'test', deviceIds: { gaid: 'g' }, clickIds: [], viewIds: [], event: { kind: 'open', name: 'open', dedupKey: `uid:${newId()}` }, ...over },
      });
      const click = touchpoint(app.app_id, campaign.campaign_id, { network: 'liftoff', gaid: 'g', created_at: now - 3_600_000 });
      await applyBatch(store, [sighting(now - 10 * 86_400_000)]);
      await applyBatch(store, [{ kind: 'touchpoint', touchpoint: click }, sighting(now)]);
      const purchase = { kind: 'purchase' as const, name: 'purchase', revenue: 5, currency: 'USD', dedupKey: `uid:${newId()}` };
      await applyBatch(store, [
        sighting(now + 1000, { clickIds: [click.touchpoint_id], rejection: { touchpointIds: [click.touchpoint_id], reason: 'fraud', value: null } }),
        sighting(now + 2000, { event: purchase }),
      ]);
      const engaged = (await store.listInstalls(app.app_id)).filter((row) => row.kind === 're-engagement');
      expect(engaged).toMatchObject([{ status: 'rejected', rejected_reason: 'fraud', touchpoint_id: click.touchpoint_id }]);
      const rows = await rawQuery({ env }, 'select opens, purchases, revenue_usd from installs where install_id = $1', [engaged[0]!.install_id]);
      expect(rows.map((x) => [Number(x.opens), Number(x.purchases), Number(x.revenue_usd)])).toEqual([[1, 0, 0]]);
    } finally {
      await store.close();
      await backend.cleanup(env);
    }
  });
});

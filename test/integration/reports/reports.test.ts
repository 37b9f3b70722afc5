import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { seedCohort } from '../../helpers/report-fixture.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

// Worked out by hand from test/helpers/report-fixture.ts. Cohort = first installs of
// 2026-01-01..02 not rejected: u1, u2, u6 (A), u4 (B), u3 (organic); u5 is rejected; u0's
// install is from 2025-11 (only its reinstall on 01-01 is in range).
// Revenue: A's u1 pays $15.40 on days 2-3, u2 earns $0.50 of ads on day 0 and $1 on day 9
// (30 impressions); B's u4 pays $20 on day 0; organic u3 earns $1.08 of ads on day 7. LTV on
// day N = revenue by the end of day N / the cohort (every day has begun).
const campaignA = {
  clicks: 4, views: 0, installs: 3, organic_installs: 0, rejected_installs: 0, reinstalls: 0, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
  opens: 8, d1_retention: 1, d7_retention: 0.333333, d30_retention: 0.333333,
  purchases: 2, unpriced_purchases: 0, revenue_usd: 16.9, iap_revenue_usd: 15.4, ad_revenue_usd: 1.5, ad_impressions: 30,
  payers: 1, payer_rate: 0.333333, arpu: 5.633333, arppu: 16.9,
  ltv_d0: 0.166667, ltv_d7: 5.3, ltv_d30: 5.633333,
  spend: 6, spend_source: 'cpi', ecpi: 2, roas: 2.816667, roas_iap: 2.566667, roas_ad: 0.25,
};
const campaignB = {
  clicks: 2, views: 1, installs: 1, organic_installs: 0, rejected_installs: 1, reinstalls: 0, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
  opens: 2, d1_retention: 0, d7_retention: 1, d30_retention: 0,
  purchases: 1, unpriced_purchases: 0, revenue_usd: 20, iap_revenue_usd: 20, ad_revenue_usd: 0, ad_impressions: 0,
  payers: 1, payer_rate: 1, arpu: 20, arppu: 20,
  ltv_d0: 20, ltv_d7: 20, ltv_d30: 20,
  spend: 1.5, spend_source: 'cpi', ecpi: 1.5, roas: 13.333333, roas_iap: 13.333333, roas_ad: 0,
};
const organic = {
  clicks: 0, views: 0, installs: 0, organic_installs: 1, rejected_installs: 0, reinstalls: 1, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
  opens: 2, d1_retention: 0, d7_retention: 0, d30_retention: 1,
  purchases: 1, unpriced_purchases: 1, revenue_usd: 1.08, iap_revenue_usd: 0, ad_revenue_usd: 1.08, ad_impressions: 4,
  payers: 1, payer_rate: 1, arpu: 1.08, arppu: 1.08,
  ltv_d0: 0, ltv_d7: 1.08, ltv_d30: 1.08,
  spend: 0, spend_source: null, ecpi: null, roas: null, roas_iap: null, roas_ad: null,
};
const totals = {
  clicks: 6, views: 1, installs: 4, organic_installs: 1, rejected_installs: 1, reinstalls: 1, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
  opens: 12, d1_retention: 0.6, d7_retention: 0.4, d30_retention: 0.4,
  purchases: 4, unpriced_purchases: 1, revenue_usd: 37.98, iap_revenue_usd: 35.4, ad_revenue_usd: 2.58, ad_impressions: 34,
  payers: 3, payer_rate: 0.6, arpu: 7.596, arppu: 12.66,
  ltv_d0: 4.1, ltv_d7: 7.396, ltv_d30: 7.596,
  spend: 7.5, spend_source: 'cpi', ecpi: 1.875, roas: 4.92, roas_iap: 4.72, roas_ad: 0.2,
};

describe.each(BACKENDS)('reports on $name', (backend) => {
  let server: TestServer;
  let ids: Awaited<ReturnType<typeof seedCohort>>;
  const range = () => `app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-02`;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    ids = await seedCohort(server.db.env);
  });
  afterAll(async () => server?.close());

  it('by campaign: exact figures of a hand-computed cohort, the same from the CLI and the API', async () => {
    const cli = await cliJson(['report', '--app', ids.app.app_id, '--from', '2026-01-01', '--to', '2026-01-02', '--group-by', 'campaign'], server.db.env);
    expect(cli.rows).toEqual([
      { campaign_id: ids.a.campaign_id, campaign_name: 'A', network: 'unity', ...campaignA },
      { campaign_id: ids.b.campaign_id, campaign_name: 'B', network: 'vungle', ...campaignB },
      { campaign_id: null, campaign_name: null, network: null, ...organic },
    ]);
    expect(cli.totals).toEqual(totals);
    const api = await call(`${server.url}/admin/reports?${range()}&group_by=campaign`, { admin: true });
    expect(api.status).toBe(200);
    expect({ rows: api.body.rows, totals: api.body.totals }).toEqual(cli);
  });

  it('by day and by network', async () => {
    const byDay = (await call(`${server.url}/admin/reports?${range()}`, { admin: true })).body;
    expect(byDay.group_by).toBe('day');
    expect(byDay.rows).toEqual([
      {
        day: '2026-01-01', clicks: 3, views: 1, installs: 3, organic_installs: 1, rejected_installs: 0, reinstalls: 1, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
        opens: 9, d1_retention: 0.5, d7_retention: 0.5, d30_retention: 0.25,
        purchases: 4, unpriced_purchases: 1, revenue_usd: 37.98, iap_revenue_usd: 35.4, ad_revenue_usd: 2.58, ad_impressions: 34,
        payers: 3, payer_rate: 0.75, arpu: 9.495, arppu: 12.66,
        ltv_d0: 5.125, ltv_d7: 9.245, ltv_d30: 9.495,
        spend: 5.5, spend_source: 'cpi', ecpi: 1.833333, roas: 6.709091, roas_iap: 6.436364, roas_ad: 0.272727,
      },
      {
        day: '2026-01-02', clicks: 3, views: 0, installs: 1, organic_installs: 0, rejected_installs: 1, reinstalls: 0, re_engagements: 0, reattributions: 0, engaged_revenue_usd: 0,
        opens: 3, d1_retention: 1, d7_retention: 0, d30_retention: 1,
        purchases: 0, unpriced_purchases: 0, revenue_usd: 0, iap_revenue_usd: 0, ad_revenue_usd: 0, ad_impressions: 0,
        payers: 0, payer_rate: 0, arpu: 0, arppu: null,
        ltv_d0: 0, ltv_d7: 0, ltv_d30: 0,
        spend: 2, spend_source: 'cpi', ecpi: 2, roas: 0, roas_iap: 0, roas_ad: 0,
      },
    ]);
    expect(byDay.totals).toEqual(totals);
    const byNetwork = (await call(`${server.url}/admin/reports?${range()}&group_by=network`, { admin: true })).body;
    expect(byNetwork.rows).toEqual([
      { network: 'unity', ...campaignA },
      { network: 'vungle', ...campaignB },
      { network: null, ...organic },
    ]);
  });

  it("rejections: the range's refused installs by reason and campaign, and the forms' lists", async () => {
    const res = await call(`${server.url}/admin/reports/rejections?app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-02`, { admin: true });
    expect(res.body).toEqual({ from: '2026-01-01', to: '2026-01-02', rows: [{ reason: 'blocked_ip', campaign_id: ids.b.campaign_id, campaign_name: 'B', network: 'vungle', installs: 1 }] });
    expect((await call(`${server.url}/admin/reports/rejections?app_id=${ids.app.app_id}&from=2026-01-02&to=2026-01-01`, { admin: true })).body.message).toBe('to: must not be before from');
    expect((await call(`${server.url}/admin/reports/rejections?app_id=${ids.app.app_id}&from=2026-01-03&to=2026-01-04`, { admin: true })).body.rows).toEqual([]);
    const meta = (await call(`${server.url}/admin/meta`, { admin: true })).body;
    expect(meta).toMatchObject({ platforms: ['ios', 'android', 'amazon', 'pc', 'web'], campaign_kinds: ['acquisition', 'retargeting'], export_types: ['installs', 'events', 'touchpoints', 'deliveries', 'skan'] });
    expect(meta.postback_formats).toContain('url');
    expect(meta.postback_formats).not.toContain('webhook');
  });

  it('cohorts: install day x day N, with days not yet begun as null', async () => {
    const cohorts = (await call(`${server.url}/admin/reports/cohorts?${range()}`, { admin: true })).body.cohorts;
    expect(cohorts.map((c: { day: string; users: number }) => [c.day, c.users])).toEqual([
      ['2026-01-01', 4],
      ['2026-01-02', 1],
    ]);
    const jan1 = Array(31).fill(0);
    Object.assign(jan1, { 0: 1, 1: 0.5, 7: 0.5, 30: 0.25 });
    const jan2 = Array(31).fill(0);
    Object.assign(jan2, { 0: 1, 1: 1, 30: 1 });
    expect(cohorts[0].retention).toEqual(jan1);
    expect(cohorts[1].retention).toEqual(jan2);
    const cli = await cliJson(['report', '--app', ids.app.app_id, '--from', '2026-01-01', '--to', '2026-01-02', '--cohorts'], server.db.env);
    expect(cli.cohorts).toEqual(cohorts);

    // A cohort of today has only day 0 so far.
    const today = new Date().toISOString().slice(0, 10);
    const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [ids.app.app_id] } })).body.token;
    expect((await call(`${server.url}/postback?s2s_token=${token}&user_id=fresh&event_id=open`)).status).toBe(200);
    const now = (await call(`${server.url}/admin/reports/cohorts?app_id=${ids.app.app_id}&from=${today}&to=${today}`, { admin: true })).body.cohorts;
    expect(now[0].users).toBe(1);
    expect(now[0].retention[1]).toBeNull();
    const row = (await call(`${server.url}/admin/reports?app_id=${ids.app.app_id}&from=${today}&to=${today}`, { admin: true })).body.rows[0];
    expect(row).toMatchObject({ organic_installs: 1, d1_retention: null, d7_retention: null, d30_retention: null });
  });

  it('without --from/--to, reports the last 7 full UTC days and today, and says so', async () => {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const [from, to] = [day(-7), day(0)];
    const table = await runCli(['report', '--app', ids.app.app_id], server.db.env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toBe(`${from} to ${to}: the last 7 full UTC days and today (--from/--to for others)`);
    expect(table.stdout.split('\n')[1]).toMatch(/^day\s+clicks/);
    const json = await cliJson(['report', '--app', ids.app.app_id], server.db.env);
    expect(json).toMatchObject({ from, to, range: 'the last 7 full UTC days and today' });
    expect(json.rows.map((r: { day: string }) => r.day)).toEqual(Array.from({ length: 8 }, (_, i) => day(i - 7)));
    const csv = await runCli(['report', '--app', ids.app.app_id, '--csv'], server.db.env);
    expect(csv.stdout.split('\n')[0]).toMatch(/^day,clicks,/);
    expect(csv.stderr).toContain('the last 7 full UTC days and today');
    const half = await runCli(['report', '--app', ids.app.app_id, '--from', '2026-01-01'], server.db.env);
    expect(half).toMatchObject({ code: 1, stderr: expect.stringContaining('--to: give --from and --to together') });
  });

  it('CSV and table output, and clear errors for bad ranges', async () => {
    const args = ['report', '--app', ids.app.app_id, '--from', '2026-01-01', '--to', '2026-01-02', '--group-by', 'network'];
    const csv = await runCli([...args, '--csv'], server.db.env);
    expect(csv.stdout.split('\n')[0]).toBe(
      'network,clicks,views,installs,organic_installs,rejected_installs,reinstalls,re_engagements,reattributions,engaged_revenue_usd,opens,d1_retention,d7_retention,d30_retention,purchases,unpriced_purchases,revenue_usd,iap_revenue_usd,ad_revenue_usd,ad_impressions,payers,payer_rate,arpu,arppu,ltv_d0,ltv_d7,ltv_d30,spend,spend_source,ecpi,roas,roas_iap,roas_ad',
    );
    expect(csv.stdout.split('\n')[3]).toBe(',0,0,0,1,0,1,0,0,0,2,0,0,1,1,1,1.08,0,1.08,4,1,1,1.08,1.08,0,1.08,1.08,0,,,,,');
    const table = await runCli(args, server.db.env);
    expect(table.stdout).toMatch(/^network\s+clicks/);
    expect(table.stdout).toMatch(/\ntotal\s+6\s+1\s+4\s+1\s+1\s+1\s+0\s+0\s+0\s+12/);

    const bad = async (query: string) => (await call(`${server.url}/admin/reports?${query}`, { admin: true })).body.message;
    expect(await bad(`app_id=${ids.app.app_id}&from=2026-02-30&to=2026-03-01`)).toBe('from: must be a date, YYYY-MM-DD');
    expect(await bad(`app_id=${ids.app.app_id}&from=2026-03-01&to=2026-02-01`)).toBe('to: must not be before from');
    expect(await bad(`app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-02&group_by=week`)).toBe('group_by: must be one of day, campaign, network');
    expect(await bad(`app_id=${'f'.repeat(24)}&from=2026-01-01&to=2026-01-02`)).toBe(`app_id: unknown app ${'f'.repeat(24)}`);
    expect((await call(`${server.url}/admin/reports?from=2026-01-01&to=2026-01-02`, { admin: true })).status).toBe(400);
    expect((await call(`${server.url}/admin/reports?${range()}`)).status).toBe(401);
    const cliBad = await runCli(['report', '--app', ids.app.app_id, '--from', '2026-1-1', '--to', '2026-01-02'], server.db.env);
    expect(cliBad).toMatchObject({ code: 1, stderr: 'error: --from: must be a date, YYYY-MM-DD\n' });
  });

  it('segments: rules joined by AND, exported as device ids', async () => {
    const env = server.db.env;
    const segment = async (...rules: string[]) => {
      const created = await cliJson(['segments', 'create', '--app', ids.app.app_id, '--name', rules.join(' & '), ...rules.flatMap((r) => ['--rule', r])], env);
      const exported = await runCli(['audience', 'export', '--app', ids.app.app_id, '--segment', created.segment_id, '--format', 'json'], env);
      expect(exported.code).toBe(0);
      return (JSON.parse(exported.stdout).devices as Record<string, string>[]).map((d) => Object.values(d)[0]).sort();
    };
    expect(await segment('event=purchase')).toEqual(['g1', 'g3', 'g4', 'g5']);
    expect(await segment('event=purchase', 'campaign=' + ids.a.campaign_id)).toEqual(['g1']);
    expect(await segment('not event=purchase', 'platform=android')).toEqual(['fresh', 'g0', 'g2', 'g6']);
    // Segments look at what users did, fraud or not: u5 (rejected) paid $100.
    expect(await segment('revenue_usd>=15')).toEqual(['g1', 'g4', 'g5']);
    expect(await segment('network=vungle')).toEqual(['g4']);
    expect(await segment('last_seen_days>=1')).toEqual(['g0', 'g1', 'g2', 'g3', 'g4', 'g5', 'g6']);
    expect(await segment('last_seen_days>=36500')).toEqual([]);
    expect(await segment('last_seen_days>=1', 'event=level_10')).toEqual(['g2']);

    // Revenue is purchases and ads: u2 ($1.50 of ads) and u3 ($1.08) are under $2.
    expect(await segment('revenue_usd>=1')).toEqual(['g1', 'g2', 'g3', 'g4', 'g5']);
    const created = await call(`${server.url}/admin/segments`, { admin: true, body: { app_id: ids.app.app_id, name: 'payers', rules: ['revenue_usd>=2'] } });
    expect(created.status).toBe(201);
    expect(created.body.rules).toEqual(['revenue_usd>=2']);
    const audience = await call(`${server.url}/admin/segments/${created.body.segment_id}/audience?app_id=${ids.app.app_id}`, { admin: true });
    expect(audience.body.devices.map((d: Record<string, string>) => d.gaid).sort()).toEqual(['g1', 'g4', 'g5']);
    const csv = await runCli(['audience', 'export', '--app', ids.app.app_id, '--segment', created.body.segment_id, '--format', 'csv'], env);
    expect(csv.stdout.split('\n').slice(1).sort()).toEqual(['', 'gaid,g1', 'gaid,g4', 'gaid,g5']);
    expect(csv.stdout.split('\n')[0]).toBe('device_id_type,device_id');

    const refused = await call(`${server.url}/admin/segments`, { admin: true, body: { app_id: ids.app.app_id, name: 'x', rules: ['revenue>=1'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/^rule "revenue>=1": unknown field "revenue"/);
    const cliBad = await runCli(['segments', 'create', '--app', ids.app.app_id, '--name', 'x', '--rule', 'not campaign=1'], env);
    expect(cliBad.stderr).toBe('error: rule "not campaign=1": only event rules can be negated (not event=ID)\n');
    const other = await runCli(['audience', 'export', '--app', ids.app.app_id, '--segment', 'f'.repeat(24)], env);
    expect(other.stderr).toBe(`error: --segment: no segment ${'f'.repeat(24)} in app ${ids.app.app_id}\n`);
  });
});

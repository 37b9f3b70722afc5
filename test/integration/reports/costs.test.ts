import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { seedCohort } from '../../helpers/report-fixture.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

// The cohort of test/helpers/report-fixture.ts (A: CPI $2, u1 and u2 on 01-01, u6 on 01-02;
// B: CPI $1.50, u4 on 01-01, u5 rejected on 01-02), with recorded costs: A on 01-01 EUR 8
// (= $8.64), B on 01-02 $3, A on 01-03 $1 (a day without installs). Other (day, campaign)s
// cost CPI × installs: A on 01-02 $2, B on 01-01 $1.50.
describe.each(BACKENDS)('real cost on $name', (backend) => {
  let server: TestServer;
  let ids: Awaited<ReturnType<typeof seedCohort>>;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    ids = await seedCohort(server.db.env);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-costs-'));
  });
  afterAll(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const report = async (groupBy: string, to = '2026-01-02') =>
    (await call(`${server.url}/admin/reports?app_id=${ids.app.app_id}&from=2026-01-01&to=${to}&group_by=${groupBy}`, { admin: true })).body;

  it('imports a spend report by campaign id or by network and name; a day imported again is replaced whole', async () => {
    const file = path.join(dir, 'costs.csv');
    fs.writeFileSync(file, `day,campaign_id,network,campaign_name,spend,currency,impressions,clicks\n2026-01-01,${ids.a.campaign_id},,,100,USD,5000,40\n2026-01-01,,vungle,B,50,,,\n`);
    expect(await cliJson(['costs', 'import', '--app', ids.app.app_id, '--file', file], server.db.env)).toEqual({ app_id: ids.app.app_id, days: ['2026-01-01'], rows: 2 });
    // The network's second report of the day: A alone, in euros; B's cost of that day goes.
    fs.writeFileSync(file, 'Day,Network,Campaign_Name,Spend,Currency\n2026-01-01,UNITY,A,8,eur\n');
    expect((await cliJson(['costs', 'import', '--app', ids.app.app_id, '--file', file], server.db.env)).rows).toBe(1);
    const put = await call(`${server.url}/admin/costs`, {
      admin: true,
      method: 'PUT',
      body: { app_id: ids.app.app_id, costs: [{ day: '2026-01-02', campaign_id: ids.b.campaign_id, spend: 3 }, { day: '2026-01-03', campaign_id: ids.a.campaign_id, spend: '1.00', impressions: 1000, clicks: 20 }] },
    });
    expect(put).toMatchObject({ status: 200, body: { days: ['2026-01-02', '2026-01-03'], rows: 2 } });

    const listed = (await call(`${server.url}/admin/costs?app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-31`, { admin: true })).body.costs;
    expect(listed.map((c: any) => [c.day, c.campaign_id, c.spend, c.currency, c.spend_usd, c.impressions, c.clicks])).toEqual([
      ['2026-01-01', ids.a.campaign_id, 8, 'EUR', 8.64, null, null],
      ['2026-01-02', ids.b.campaign_id, 3, 'USD', 3, null, null],
      ['2026-01-03', ids.a.campaign_id, 1, 'USD', 1, 1000, 20],
    ]);
    expect((await cliJson(['costs', 'list', '--app', ids.app.app_id, '--from', '2026-01-01', '--to', '2026-01-01'], server.db.env)).costs).toHaveLength(1);
  });

  it('reports a (day, campaign) at its recorded cost, else CPI × installs, and says which', async () => {
    const byCampaign = await report('campaign');
    const [a, b, organic] = byCampaign.rows;
    // A: $8.64 + $2; revenue $16.90 ($15.40 purchases, $1.50 ads) of 3 installs.
    expect(a).toMatchObject({ campaign_id: ids.a.campaign_id, spend: 10.64, spend_source: 'mixed', ecpi: 3.546667, roas: 1.588346, roas_iap: 1.447368, roas_ad: 0.140977 });
    // B: $1.50 + $3 (a day whose only install was rejected still spent).
    expect(b).toMatchObject({ campaign_id: ids.b.campaign_id, spend: 4.5, spend_source: 'mixed', ecpi: 4.5, roas: 4.444444 });
    expect(organic).toMatchObject({ campaign_id: null, spend: 0, spend_source: null, roas: null });
    expect(byCampaign.totals).toMatchObject({ spend: 15.14, spend_source: 'mixed', ecpi: 3.785, roas: 2.437252 });

    const byDay = await report('day', '2026-01-03');
    expect(byDay.rows.map((r: any) => [r.day, r.installs, r.spend, r.spend_source, r.ecpi])).toEqual([
      ['2026-01-01', 3, 10.14, 'mixed', 3.38],
      ['2026-01-02', 1, 5, 'mixed', 5],
      ['2026-01-03', 0, 1, 'cost', null],
    ]);
    const byNetwork = await report('network', '2026-01-03');
    expect(byNetwork.rows.map((r: any) => [r.network, r.spend, r.spend_source])).toEqual([
      ['unity', 11.64, 'mixed'],
      ['vungle', 4.5, 'mixed'],
      [null, 0, null],
    ]);
    // Only the CPI where no cost is recorded: a range of CPI days alone.
    const csv = await runCli(['report', '--app', ids.app.app_id, '--from', '2026-01-01', '--to', '2026-01-02', '--group-by', 'campaign', '--csv'], server.db.env);
    const header = csv.stdout.split('\n')[0]!.split(',');
    expect(header.slice(header.indexOf('spend'), header.indexOf('spend') + 3)).toEqual(['spend', 'spend_source', 'ecpi']);
  });

  it('refuses a bad line naming it and the field, and writes none of the lot', async () => {
    const put = (costs: unknown[], appId = ids.app.app_id) => call(`${server.url}/admin/costs`, { admin: true, method: 'PUT', body: { app_id: appId, costs } });
    const good = { day: '2026-02-01', campaign_id: ids.a.campaign_id, spend: 1 };
    const cases: [unknown[], number, string][] = [
      [[good, { ...good, day: '2026-02-30' }], 400, 'costs[1].day: "2026-02-30" is not a date'],
      [[good, { day: '2026-02-02', spend: 1 }], 400, 'costs[1].campaign_id: is required (or network and campaign_name)'],
      [[{ ...good, campaign_id: 'f'.repeat(24) }], 400, `costs[0].campaign_id: no campaign ${'f'.repeat(24)} in this app`],
      [[{ day: '2026-02-01', network: 'unity', campaign_name: 'Z', spend: 1 }], 400, 'costs[0].campaign_name: no campaign "Z" of network unity'],
      [[{ ...good, spend: '-1' }], 400, 'costs[0].spend: "-1" is not an amount'],
      [[{ ...good, spend: 'lots' }], 400, 'costs[0].spend: "lots" is not an amount'],
      [[{ ...good, currency: 'XYZ' }], 400, 'costs[0].currency: no rate for XYZ'],
      [[{ ...good, impressions: '1.5' }], 400, 'costs[0].impressions: must be a whole number'],
      [[good, good], 400, 'costs[1].campaign_id: a second line for 2026-02-01'],
      [[{ ...good, extra: 1 }], 400, 'costs.0.extra: is not a known field'],
    ];
    for (const [costs, status, message] of cases) {
      const res = await put(costs);
      expect(res.status, message).toBe(status);
      expect(res.body.message, message).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    }
    expect((await put([good], 'f'.repeat(24))).status).toBe(404);
    expect((await call(`${server.url}/admin/costs`, { method: 'PUT', body: { app_id: ids.app.app_id, costs: [good] } })).status).toBe(401);
    expect((await call(`${server.url}/admin/costs?app_id=${ids.app.app_id}&from=2026-02-01&to=2026-02-28`, { admin: true })).body.costs).toEqual([]);
    const file = path.join(dir, 'bad.csv');
    fs.writeFileSync(file, `day,campaign_id,spend\n2026-02-01,${ids.a.campaign_id},1\n2026-02-01,${ids.a.campaign_id},x\n`);
    expect(await runCli(['costs', 'import', '--app', ids.app.app_id, '--file', file], server.db.env)).toMatchObject({ code: 1, stderr: 'error: line 3: spend: "x" is not an amount from 0 to 10000000000\n' });
  });
});

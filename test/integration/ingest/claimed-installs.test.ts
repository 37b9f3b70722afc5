/**
 * Issue #18 item 8 end to end, through the real HTTP endpoints: installs a sender attributed
 * (Chartboost v1 claim=1, v2 attributed_install) are its claim, reported under its network,
 * network names compare case-insensitively and keep their first spelling, and revenue without
 * spend behind it stays out of ROAS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../../src/protocols/chartboost/signature.js';
import { dayNumber, formatDay } from '../../../src/domain/metrics.js';
import { BACKENDS } from '../../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

describe.each(BACKENDS)('claimed installs on $name', (backend) => {
  let server: TestServer;
  let signer: { token: string; secret: string };

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => server?.close());

  async function newApp(name: string) {
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name, platform: 'android' } })).body;
    await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
    signer = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id], secret: true, name: 'mmp' } })).body;
    return app;
  }

  function signed(app: any, p: string, body: object, action: 'attribution' | 'pia') {
    const raw = JSON.stringify({ app_id: app.app_id, ...body });
    return call(`${server.url}${p}`, {
      rawBody: raw,
      headers: { 'content-type': 'application/json', 'x-chartboost-token': signer.token, 'x-chartboost-signature': signChartboost(action, signer.secret, app.app_signature, raw) },
    });
  }
  const v1Install = (app: any, body: object) => signed(app, '/api/v1/install.json', body, 'attribution');
  const purchase = (app: any, gaid: string, price: number) =>
    signed(app, '/event_service/v3/track', { gaid, iap: { product_id: 'gems', currency: 'USD', price } }, 'pia');
  const report = async (app: any, groupBy: string) => {
    const today = formatDay(dayNumber(Date.now()));
    const res = await call(`${server.url}/admin/reports?app_id=${app.app_id}&from=${today}&to=${today}&group_by=${groupBy}`, { admin: true });
    expect(res.status).toBe(200);
    return res.body;
  };

  it('stores claimed installs as claimed under the first spelling of their network, never organic, and keeps their revenue out of ROAS', async () => {
    const app = await newApp('Claims');
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'Launch', cpi: 2 } })).body;
    // A second campaign of the same network in another spelling keeps the first one.
    const again = await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'ChartBoost', name: 'Retarget' } });
    expect(again.body.network).toBe('chartboost');

    // An install Chartboost attributed to its own click (attributed_install): claimed, on the click's campaign.
    const click = (await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaign.campaign_id, no_redirect: 'true', gaid: 'paid-1' })}`)).body.id;
    expect((await call(`${server.url}/api/v2/attributed_install`, { body: { token: signer.token, click_id: click } })).body.status).toBe(200);
    // The seed's v1 claim, as the issue sent it, and another spelling.
    expect((await v1Install(app, { gaid: 'claimed-1', claim: 1, attributed_to: 'Chartboost' })).body.status).toBe(200);
    expect((await v1Install(app, { gaid: 'claimed-2', claim: 1, attributed_to: 'CHARTBOOST' })).body.status).toBe(200);
    expect((await v1Install(app, { gaid: 'organic-1', claim: 0, organic: 1 })).body.status).toBe(200);
    expect((await purchase(app, 'paid-1', 4)).body.status).toBe(200);
    expect((await purchase(app, 'claimed-1', 50)).body.status).toBe(200);

    const byGaid = async (gaid: string) => server.db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: gaid });
    expect(await byGaid('paid-1')).toMatchObject({ status: 'attributed', match_type: 'claimed', campaign_id: campaign.campaign_id, network: 'chartboost', touchpoint_id: click });
    expect(await byGaid('claimed-1')).toMatchObject({ status: 'attributed', match_type: 'claimed', campaign_id: null, network: 'chartboost' });
    expect(await byGaid('claimed-2')).toMatchObject({ status: 'attributed', match_type: 'claimed', network: 'chartboost' });
    expect(await byGaid('organic-1')).toMatchObject({ status: 'organic', match_type: 'organic', network: null });

    const byCampaign = await report(app, 'campaign');
    const rows = byCampaign.rows.filter((r: any) => r.installs + r.organic_installs > 0);
    expect(rows).toEqual([
      expect.objectContaining({ campaign_id: campaign.campaign_id, campaign_name: 'Launch', network: 'chartboost', installs: 1, organic_installs: 0, revenue_usd: 4, spend: 2, roas: 2 }),
      // The claimed installs outside any campaign: their network's row, not the organic one.
      expect.objectContaining({ campaign_id: null, campaign_name: null, network: 'chartboost', installs: 2, organic_installs: 0, revenue_usd: 50, spend: 0, roas: null }),
      expect.objectContaining({ campaign_id: null, campaign_name: null, network: null, installs: 0, organic_installs: 1, revenue_usd: 0 }),
    ]);
    // $50 of claimed revenue has no spend behind it: ROAS is $4 / $2.
    expect(byCampaign.totals).toMatchObject({ installs: 3, organic_installs: 1, revenue_usd: 54, spend: 2, roas: 2 });

    const byNetwork = await report(app, 'network');
    expect(byNetwork.rows.map((r: any) => [r.network, r.installs, r.organic_installs])).toEqual([
      ['chartboost', 3, 0],
      [null, 0, 1],
    ]);
    expect(byNetwork.totals).toEqual(byCampaign.totals);
  });

  it('keeps the first spelling a sender used when no campaign names the network', async () => {
    const app = await newApp('Spellings');
    expect((await v1Install(app, { gaid: 's-1', claim: 1, attributed_to: 'Chartboost' })).body.status).toBe(200);
    expect((await v1Install(app, { gaid: 's-2', claim: 1, attributed_to: 'chartboost' })).body.status).toBe(200);
    expect((await v1Install(app, { gaid: 's-3', claim: 1 })).body.status).toBe(200);
    const byNetwork = await report(app, 'network');
    expect(byNetwork.rows.map((r: any) => [r.network, r.installs])).toEqual([['Chartboost', 3]]);
    const byCampaign = await report(app, 'campaign');
    expect(byCampaign.rows.map((r: any) => [r.campaign_id, r.network, r.installs, r.organic_installs])).toEqual([[null, 'Chartboost', 3, 0]]);
  });
});

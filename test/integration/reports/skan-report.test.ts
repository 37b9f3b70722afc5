import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';
import { SKAN_2_2, SKAN_3_NON_WINNING, SKAN_3_WINNING, SKAN_4_HIGH, SKAN_4_LOW } from '../../fixtures/apple-postbacks.js';

/**
 * SKAN rows (docs/skan.md): Apple's example postbacks credited through the app's map and
 * decoded through its schema, worked out by hand below; a forged one counts nowhere.
 */
describe.each(BACKENDS)('SKAN report on $name', (backend: TestBackend) => {
  let server: TestServer;
  let app: { app_id: string };
  let a: { campaign_id: string };
  let b: { campaign_id: string };
  const today = new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    const env = server.db.env;
    app = await cliJson(['apps', 'create', '--name', 'SKAN', '--platform', 'ios'], env);
    await cliJson(['apps', 'configure', '--app', app.app_id, '--app-store-id', '525463029'], env);
    a = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'example', '--name', 'A'], env);
    b = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'example123', '--name', 'B'], env);
    for (const body of [SKAN_4_HIGH, SKAN_4_LOW, SKAN_3_WINNING, SKAN_3_NON_WINNING, SKAN_2_2, JSON.stringify({ ...JSON.parse(SKAN_4_HIGH), 'transaction-id': 'forged-1' })]) {
      const res = await call(`${server.url}/.well-known/skadnetwork/report-attribution/`, { method: 'POST', rawBody: body, headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(200);
    }
  });
  afterAll(async () => server?.close());

  it('credits postbacks through the map, decodes them through the schema, and counts verified ones only', async () => {
    const env = server.db.env;
    await cliJson(['skan', 'map', '--app', app.app_id, '--network-id', 'com.example', '--source-id', '5239', '--campaign', a.campaign_id], env);
    await cliJson(['skan', 'map', '--app', app.app_id, '--network-id', 'com.example', '--source-id', '39', '--campaign', a.campaign_id], env);
    const maps = await cliJson(['skan', 'map', '--app', app.app_id, '--network-id', 'example123.skadnetwork', '--source-id', '42', '--campaign', b.campaign_id], env);
    expect(maps.mappings).toHaveLength(3);
    const schema = {
      fine: { '63': { event: 'purchase', revenue_min_usd: 10, revenue_max_usd: 20 }, '20': { event: 'level', revenue_min_usd: 0, revenue_max_usd: 2 } },
      coarse: { high: { revenue_min_usd: 5, revenue_max_usd: 15 } },
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 's2s-skan-')), 'schema.json');
    fs.writeFileSync(file, JSON.stringify(schema));
    const set = JSON.parse((await runCli(['skan', 'schema', '--app', app.app_id, '--file', file], env)).stdout);
    expect(set.coarse.high).toEqual({ event: null, revenue_min_usd: 5, revenue_max_usd: 15 });

    const report = (await call(`${server.url}/admin/reports/skan?app_id=${app.app_id}&from=${today}&to=${today}`, { admin: true })).body;
    // A: 4.0 high (value 63: a purchase, $10-20 → 15) and 4.0 low (coarse high: $5-15 → 10).
    // B: the 3.0 winner (20: a level, $0-2 → 1) and the 3.0 non-winner (no value).
    // Unmapped: the 2.2 postback of com.example's campaign 42 (20 → 1). The forged copy: nowhere.
    expect(report.rows).toEqual([
      { campaign_id: a.campaign_id, campaign_name: 'A', ad_network_id: null, source_identifier: null, sequence_index: 0, did_win: true, fidelity_type: 1, conversion_type: null, postbacks: 2, conversion_values: { '63': 1, high: 1 }, events: { purchase: 1 }, estimated_revenue_usd: 25 },
      { campaign_id: b.campaign_id, campaign_name: 'B', ad_network_id: null, source_identifier: null, sequence_index: 0, did_win: true, fidelity_type: 1, conversion_type: null, postbacks: 1, conversion_values: { '20': 1 }, events: { level: 1 }, estimated_revenue_usd: 1 },
      { campaign_id: b.campaign_id, campaign_name: 'B', ad_network_id: null, source_identifier: null, sequence_index: 0, did_win: false, fidelity_type: 1, conversion_type: null, postbacks: 1, conversion_values: { none: 1 }, events: {}, estimated_revenue_usd: 0 },
      { campaign_id: null, campaign_name: null, ad_network_id: 'com.example', source_identifier: '42', sequence_index: 0, did_win: null, fidelity_type: 1, conversion_type: null, postbacks: 1, conversion_values: { '20': 1 }, events: { level: 1 }, estimated_revenue_usd: 1 },
    ]);
    expect(report.totals).toEqual({ postbacks: 5, estimated_revenue_usd: 27 });
    const cli = await cliJson(['skan', 'report', '--app', app.app_id, '--from', today, '--to', today], env);
    expect(cli).toEqual(report);
    const table = await runCli(['skan', 'report', '--app', app.app_id], env);
    expect(table.stdout.split('\n')[0]).toMatch(/^campaign\s+window\s+did_win/);
  });

  it('refuses a mapping to a campaign of another app, a bad schema and a bad range, naming the field', async () => {
    const env = server.db.env;
    const other = await cliJson(['apps', 'create', '--name', 'other', '--platform', 'ios'], env);
    const foreign = await cliJson(['campaigns', 'create', '--app', other.app_id, '--network', 'n', '--name', 'x'], env);
    expect(await runCli(['skan', 'map', '--app', app.app_id, '--network-id', 'n', '--source-id', '1', '--campaign', foreign.campaign_id], env)).toMatchObject({
      code: 1,
      stderr: `error: --campaign: no campaign ${foreign.campaign_id} in app ${app.app_id}\n`,
    });
    expect(await runCli(['skan', 'map', '--app', app.app_id, '--network-id', 'n', '--source-id', '1'], env)).toMatchObject({ code: 1, stderr: 'error: --campaign: is required (or --remove)\n' });
    const put = (body: unknown) => call(`${server.url}/admin/skan/schema?app_id=${app.app_id}`, { admin: true, method: 'PUT', body });
    expect((await put({ fine: { '3': { revenue_min_usd: 5, revenue_max_usd: 1 } } })).body).toMatchObject({ status: 400, message: 'fine.3.revenue_max_usd: must not be below revenue_min_usd' });
    expect((await put({ fine: { '64': { event: 'x' } } })).body).toMatchObject({ status: 400, message: expect.stringMatching(/^fine/) });
    expect((await put({ coarse: { huge: {} } })).body).toMatchObject({ status: 400, message: expect.stringMatching(/^coarse/) });
    const map = await call(`${server.url}/admin/skan/map`, { admin: true, method: 'PUT', body: { app_id: app.app_id, ad_network_id: 'n', source_identifier: 'abc', campaign_id: null } });
    expect(map.body).toMatchObject({ status: 400, message: expect.stringMatching(/^source_identifier: /) });
    expect((await call(`${server.url}/admin/reports/skan?app_id=${app.app_id}&from=2026-02-30&to=2026-03-01`, { admin: true })).body).toMatchObject({ status: 400, message: 'from: must be a date, YYYY-MM-DD' });
    // Removing a mapping: the report shows its postbacks under their network again.
    const removed = await call(`${server.url}/admin/skan/map`, { admin: true, method: 'PUT', body: { app_id: app.app_id, ad_network_id: 'com.example', source_identifier: '39', campaign_id: null } });
    expect(removed.body.mappings).toHaveLength(2);
    const rows = (await call(`${server.url}/admin/reports/skan?app_id=${app.app_id}&from=${today}&to=${today}`, { admin: true })).body.rows;
    expect(rows.find((r: { source_identifier: string | null }) => r.source_identifier === '39')).toMatchObject({ ad_network_id: 'com.example', postbacks: 1, estimated_revenue_usd: 10 });
  });
});

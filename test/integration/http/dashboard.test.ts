import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BACKENDS } from '../../helpers/backends.js';
import { ROOT } from '../../helpers/cli.js';
import { seedCohort } from '../../helpers/report-fixture.js';
import { SKAN_4_HIGH } from '../../fixtures/apple-postbacks.js';
import { startReceiver } from '../../helpers/receiver.js';
import { ADMIN_TOKEN, call, startTestServer, type TestServer } from '../../helpers/server.js';

// Debian's chromium package (`apt-get install chromium`, done by .ci/run); CHROMIUM_PATH overrides.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

describe('dashboard in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let ids: Awaited<ReturnType<typeof seedCohort>>;

  beforeAll(async () => {
    server = await startTestServer(BACKENDS[0]!, { LOG_LEVEL: 'warn' });
    ids = await seedCohort(server.db.env);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1800 } });
    page.on('pageerror', (error) => {
      throw error;
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const tile = (metric: string) => page.locator(`.tile[data-metric="${metric}"] .value`).textContent();
  const showRange = async (from: string, to: string) => {
    await page.fill('#from', from);
    await page.fill('#to', to);
    await page.click('#range-form button[type="submit"]');
    await page.waitForSelector(`body[data-loaded="${ids.app.app_id}:${from}:${to}"]`);
  };

  it('serves a static page that holds no data, with a strict CSP', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    expect(html).toContain('id="login-form"');
    expect(html).not.toContain(ids.app.app_id);
    expect((await fetch(`${server.url}/dashboard/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${server.url}/dashboard/../package.json`)).status).toBe(404);
  });

  it('refuses a wrong token, then shows the same numbers as the API, sorts, and follows the range', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-form button');
    await expect.poll(() => page.textContent('#login-error')).toBe('That is not the admin token.');
    expect(await page.isVisible('#dashboard')).toBe(false);

    await page.fill('#login-token', ADMIN_TOKEN);
    await page.click('#login-form button');
    await page.waitForSelector('#dashboard:not([hidden])');
    await showRange('2026-01-01', '2026-01-02');

    const api = (await call(`${server.url}/admin/reports?app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-02`, { admin: true })).body.totals;
    expect(await tile('installs')).toBe(String(api.installs));
    expect(await tile('organic_installs')).toBe(String(api.organic_installs));
    expect(await tile('rejected_installs')).toBe(String(api.rejected_installs));
    expect(await tile('revenue_usd')).toBe(`$${api.revenue_usd.toFixed(2)}`);
    expect(await tile('payer_rate')).toBe(`${(api.payer_rate * 100).toFixed(1)}%`);
    expect(await tile('arppu')).toBe(`$${api.arppu.toFixed(2)}`);
    expect(await tile('roas')).toBe(`${Math.round(api.roas * 100)}%`);
    expect(await tile('d7_retention')).toBe('40.0%');
    expect([await tile('installs'), await tile('revenue_usd'), await tile('spend')]).toEqual(['4', '$37.98', '$7.50']);
    // Ad revenue, LTV, eCPI and ROAS by kind (figures of test/integration/reports/reports.test.ts).
    expect([await tile('iap_revenue_usd'), await tile('ad_revenue_usd'), await tile('ad_impressions')]).toEqual(['$35.40', '$2.58', '34']);
    expect([await tile('ltv_d0'), await tile('ltv_d7'), await tile('ltv_d30'), await tile('ecpi')]).toEqual(['$4.10', '$7.40', '$7.60', '$1.88']);
    expect([await tile('roas_iap'), await tile('roas_ad')]).toEqual(['472%', '20%']);
    // Known users brought back (none in this cohort; test/integration/ingest/engagement.test.ts has some).
    expect([await tile('re_engagements'), await tile('reattributions'), await tile('engaged_revenue_usd')]).toEqual([String(api.re_engagements), String(api.reattributions), '$0.00']);

    // The chart: one bar per day, as tall as that day's installs.
    const bars = await page.locator('#chart rect.installs').evaluateAll((rects) => rects.map((r) => [r.getAttribute('data-day'), r.getAttribute('data-installs')]));
    expect(bars).toEqual([
      ['2026-01-01', '4'],
      ['2026-01-02', '1'],
    ]);

    // The campaign table, sorted by installs (the default), then by revenue, then by name.
    const campaignOrder = () => page.locator('#campaigns-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-campaign')));
    expect(await campaignOrder()).toEqual([ids.a.campaign_id, ids.b.campaign_id, 'organic']);
    await page.click('#campaigns-table th[data-sort="revenue_usd"]');
    expect(await campaignOrder()).toEqual([ids.b.campaign_id, ids.a.campaign_id, 'organic']);
    await page.click('#campaigns-table th[data-sort="revenue_usd"]');
    expect(await campaignOrder()).toEqual(['organic', ids.a.campaign_id, ids.b.campaign_id]);
    const rowB = page.locator(`#campaigns-table tr[data-campaign="${ids.b.campaign_id}"]`);
    expect(await rowB.locator('td[data-col="roas"]').textContent()).toBe('1333%');
    expect(await rowB.locator('td[data-col="rejected_installs"]').textContent()).toBe('1');
    expect(await rowB.locator('td[data-col="spend_source"]').textContent()).toBe('cpi');

    // The retention heatmap.
    const cell = (day: string, n: number) => page.locator(`#cohorts-table tr[data-day="${day}"] td[data-n="${n}"]`).textContent();
    expect([await cell('2026-01-01', 0), await cell('2026-01-01', 1), await cell('2026-01-01', 30), await cell('2026-01-02', 7)]).toEqual(['100%', '50%', '25%', '0%']);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await showRange('2026-01-02', '2026-01-02');
    expect([await tile('installs'), await tile('rejected_installs'), await tile('revenue_usd')]).toEqual(['1', '1', '$0.00']);
    expect(await page.locator('#cohorts-table tbody tr').count()).toBe(1);
  }, 60_000);

  it('shows verified SKAdNetwork postbacks of the range, by campaign and window', async () => {
    await call(`${server.url}/admin/apps/${ids.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'apple', app: '525463029' } });
    const sent = await call(`${server.url}/.well-known/skadnetwork/report-attribution/`, { method: 'POST', rawBody: SKAN_4_HIGH, headers: { 'content-type': 'application/json' } });
    expect(sent.status).toBe(200);
    const today = new Date().toISOString().slice(0, 10);
    await showRange(today, today);
    const row = page.locator('#skan-table tr[data-campaign="unmapped"]');
    expect(await row.locator('td[data-col="campaign"]').textContent()).toBe('com.example 5239');
    expect(await row.locator('td[data-col="postbacks"]').textContent()).toBe('1');
    expect(await row.locator('td[data-col="did_win"]').textContent()).toBe('won');
    expect(await row.locator('td[data-col="conversion_values"]').textContent()).toBe('63: 1');
    await showRange('2026-01-01', '2026-01-02');
    expect(await page.locator('#skan-table tbody').textContent()).toBe('No verified postbacks in this range.');
  }, 60_000);

  it('manages campaigns and tokens, and shows the delivery log', async () => {
    await page.fill('#campaign-form input[name="name"]', 'Spring push');
    await page.fill('#campaign-form input[name="network"]', 'ironsource');
    await page.fill('#campaign-form input[name="cpi"]', '0.8');
    await page.selectOption('#campaign-form select[name="kind"]', 'retargeting');
    await page.click('#campaign-form button');
    await expect.poll(() => page.textContent('#manage-status')).toMatch(/^Campaign Spring push created; tracking link http/);
    const campaigns = (await call(`${server.url}/admin/campaigns?app_id=${ids.app.app_id}`, { admin: true })).body.campaigns;
    expect(campaigns.find((c: { name: string }) => c.name === 'Spring push')).toMatchObject({ network: 'ironsource', cpi: 0.8, kind: 'retargeting' });
    expect(await page.locator('#campaign-list tbody tr').count()).toBe(3);

    await page.fill('#token-form input[name="name"]', 'dash');
    await page.click('#token-form button');
    await expect.poll(() => page.textContent('#issued')).toMatch(/^token s2s_/);
    const token = (await page.textContent('#issued'))!.split(' ')[1]!;
    // A postback to a partner standing in on loopback: the open's install shows in the delivery log.
    const partner = await startReceiver();
    try {
      const pb = await call(`${server.url}/admin/postbacks`, { admin: true, body: { app_id: ids.app.app_id, network: 'unity', format: 'url', url: `${partner.url}/pb?u={user_id}`, events: ['install'] } });
      expect(pb.status).toBe(201);
      // An install of campaign A (unity), seconds after its click: the CTIT rule is turned off.
      await call(`${server.url}/admin/apps/${ids.app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } });
      expect((await call(`${server.url}/click?campaign_id=${ids.a.campaign_id}&no_redirect=true&gaid=dash-1`)).status).toBe(200);
      expect((await call(`${server.url}/postback?s2s_token=${token}&user_id=from-dashboard&gaid=dash-1&event_id=open`)).status).toBe(200);
      await partner.waitFor(1, 10_000);
      await expect.poll(async () => (await call(`${server.url}/admin/deliveries?app_id=${ids.app.app_id}`, { admin: true })).body.deliveries[0]?.status).toBe('delivered');
    } finally {
      await partner.close();
    }
    await page.click('#range-form button[type="submit"]');
    await expect.poll(() => page.locator('#deliveries-table tbody td[data-col="status"]').allTextContents()).toEqual(['delivered']);
    expect(await page.locator('#deliveries-table tbody td[data-col="url"]').textContent()).toContain('/pb?u=from-dashboard');
    await page.locator('#token-list tbody tr button').first().click();
    await expect.poll(() => page.textContent('#manage-status')).toBe('Token revoked.');
    await expect.poll(async () => (await call(`${server.url}/postback?s2s_token=${token}&user_id=x&event_id=open`)).status, { timeout: 10_000 }).toBe(401);

    expect(await page.locator('#deliveries-table th').allTextContents()).toContain('status');

    // A new app from the form becomes the selected one, with its own (empty) report.
    await page.fill('#app-form input[name="name"]', 'Second game');
    await page.selectOption('#app-form select[name="platform"]', 'android');
    await page.click('#app-form button');
    await expect.poll(() => page.textContent('#manage-status')).toMatch(/^App Second game created: [0-9a-f]{24}$/);
    const second = (await call(`${server.url}/admin/apps`, { admin: true })).body.apps.find((a: { name: string }) => a.name === 'Second game');
    expect(second).toMatchObject({ platform: 'android' });
    await expect.poll(() => page.inputValue('#app-select')).toBe(second.app_id);
    await expect.poll(() => page.locator('.tile[data-metric="installs"] .value').textContent()).toBe('0');
  }, 60_000);
});

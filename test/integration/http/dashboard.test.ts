import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PLATFORMS, STORES } from '../../../src/domain/apps.js';
import { POSTBACK_FORMATS } from '../../../src/postbacks/formats/index.js';
import { BACKENDS } from '../../helpers/backends.js';
import { ROOT } from '../../helpers/cli.js';
import { seedCohort } from '../../helpers/report-fixture.js';
import { SKAN_4_HIGH } from '../../fixtures/apple-postbacks.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';
import { ADMIN_TOKEN, call, startTestServer, type TestServer } from '../../helpers/server.js';

// Debian's chromium package (`apt-get install chromium`, done by .ci/run); CHROMIUM_PATH overrides.
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
/** The width the dashboard must fit without the page scrolling sideways. */
const WIDTH = 1280;

describe('dashboard in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let ids: Awaited<ReturnType<typeof seedCohort>>;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    server = await startTestServer(BACKENDS[0]!, { LOG_LEVEL: 'warn', S2S_RETRY_BASE_MS: '100', S2S_DISPATCH_POLL_MS: '20' });
    ids = await seedCohort(server.db.env);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: WIDTH, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = await context.newPage();
    page.on('pageerror', (error) => {
      throw error;
    });
    fs.mkdirSync(ARTIFACTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    for (const r of receivers) await r.close();
    await browser?.close();
    await server?.close();
  });

  const tile = (metric: string) => page.locator(`.tile[data-metric="${metric}"] .value`).textContent();
  /** Goes to a page by its link and waits until it has loaded what it shows. */
  const open = async (name: string) => {
    await page.evaluate('delete document.body.dataset.loaded');
    await page.click(`#nav a[data-page="${name}"]`);
    await page.waitForSelector(`body[data-loaded^="${name}:${ids.app.app_id}:"]`);
  };
  const showRange = async (from: string, to: string) => {
    await page.evaluate('delete document.body.dataset.loaded');
    await page.fill('#from', from);
    await page.fill('#to', to);
    await page.click('#range-form button[type="submit"]');
    await page.waitForSelector(`body[data-loaded$=":${ids.app.app_id}:${from}:${to}"]`);
  };
  /** The page is usable at 1280 px: nothing makes it scroll sideways (wide tables scroll in their own box). */
  const fitsWidth = async (name: string) => {
    expect(Number(await page.evaluate('document.documentElement.scrollWidth')), `${name} is wider than ${WIDTH}px`).toBeLessThanOrEqual(WIDTH);
    await page.screenshot({ path: path.join(ARTIFACTS, `dashboard-${name}.png`), fullPage: true });
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

  it('Overview: refuses a wrong token, then shows the same totals and chart as the API, and follows presets', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-form button');
    await expect.poll(() => page.textContent('#login-error')).toBe('That is not the admin token.');
    expect(await page.isVisible('#dashboard')).toBe(false);

    await page.fill('#login-token', ADMIN_TOKEN);
    await page.click('#login-form button');
    await page.waitForSelector('#dashboard:not([hidden])');
    await page.waitForSelector(`body[data-loaded^="overview:${ids.app.app_id}:"]`);
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
    await fitsWidth('overview');

    // Presets: the last 7, 30 or 90 days, today included.
    const day = (offset: number) => new Date(Date.now() - offset * 86_400_000).toISOString().slice(0, 10);
    for (const days of [7, 30, 90]) {
      await page.evaluate('delete document.body.dataset.loaded');
      await page.click(`.preset[data-days="${days}"]`);
      await page.waitForSelector(`body[data-loaded="overview:${ids.app.app_id}:${day(days - 1)}:${day(0)}"]`);
      expect(await page.locator('#chart rect.installs').count()).toBe(days);
    }
    await showRange('2026-01-01', '2026-01-02');
  }, 60_000);

  it('Campaigns: sorts, groups by campaign, network or day, breaks rejections down by reason, and downloads what it shows', async () => {
    await open('campaigns');
    const order = () => page.locator('#campaigns-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-campaign')));
    expect(await order()).toEqual([ids.a.campaign_id, ids.b.campaign_id, 'organic']);
    await page.click('#campaigns-table th[data-sort="revenue_usd"]');
    expect(await order()).toEqual([ids.b.campaign_id, ids.a.campaign_id, 'organic']);
    await page.click('#campaigns-table th[data-sort="revenue_usd"]');
    expect(await order()).toEqual(['organic', ids.a.campaign_id, ids.b.campaign_id]);
    const rowB = page.locator(`#campaigns-table tr[data-campaign="${ids.b.campaign_id}"]`);
    expect(await rowB.locator('td[data-col="roas"]').textContent()).toBe('1333%');
    expect(await rowB.locator('td[data-col="rejected_installs"]').textContent()).toBe('1');
    expect(await rowB.locator('td[data-col="spend_source"]').textContent()).toBe('cpi');

    // What is on screen, in its order, as CSV with raw numbers.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#campaigns-csv')]);
    expect(download.suggestedFilename()).toBe('campaigns-2026-01-01-2026-01-02.csv');
    const csv = fs.readFileSync((await download.path())!, 'utf8').split('\r\n');
    expect(csv[0]!.split(',').slice(0, 4)).toEqual(['campaign_name', 'network', 'clicks', 'views']);
    expect(csv.slice(1, 4).map((line) => line.split(',')[0])).toEqual(['organic', 'A', 'B']);
    const header = csv[0]!.split(',');
    expect(csv[3]!.split(',')[header.indexOf('revenue_usd')]).toBe('20');

    // The rejected install, by reason and campaign.
    expect(await page.locator('#rejections-table tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)))).toEqual([['blocked_ip', 'B', 'vungle', '1']]);

    await page.evaluate('delete document.body.dataset.loaded');
    await page.selectOption('#group-by', 'network');
    await page.waitForSelector(`body[data-loaded^="campaigns:"]`);
    expect(await order()).toEqual(['unity', 'vungle', 'organic']);
    expect(await page.locator('#campaigns-table tr[data-campaign="unity"] td[data-col="installs"]').textContent()).toBe('3');
    await page.evaluate('delete document.body.dataset.loaded');
    await page.selectOption('#group-by', 'day');
    await page.waitForSelector(`body[data-loaded^="campaigns:"]`);
    expect((await order()).sort()).toEqual(['2026-01-01', '2026-01-02']);
    await fitsWidth('campaigns');
    await page.selectOption('#group-by', 'campaign');
  }, 60_000);

  it('Cohorts: retention by day N and revenue and LTV by install day', async () => {
    await open('cohorts');
    const cell = (day: string, n: number) => page.locator(`#cohorts-table tr[data-day="${day}"] td[data-n="${n}"]`).textContent();
    expect([await cell('2026-01-01', 0), await cell('2026-01-01', 1), await cell('2026-01-01', 30), await cell('2026-01-02', 7)]).toEqual(['100%', '50%', '25%', '0%']);
    const byDay = (await call(`${server.url}/admin/reports?app_id=${ids.app.app_id}&from=2026-01-01&to=2026-01-02&group_by=day`, { admin: true })).body.rows;
    const ltv = (day: string, col: string) => page.locator(`#ltv-table tr[data-day="${day}"] td[data-col="${col}"]`).textContent();
    const first = byDay.find((r: { day: string }) => r.day === '2026-01-01');
    expect([await ltv('2026-01-01', 'installs'), await ltv('2026-01-01', 'ltv_d7')]).toEqual([String(first.installs), `$${first.ltv_d7.toFixed(2)}`]);
    await fitsWidth('cohorts');
  }, 60_000);

  it('SKAN: verified postbacks of the range, by campaign and window', async () => {
    await call(`${server.url}/admin/apps/${ids.app.app_id}/aliases`, { admin: true, method: 'PATCH', body: { protocol: 'apple', app: '525463029' } });
    const sent = await call(`${server.url}/.well-known/skadnetwork/report-attribution/`, { method: 'POST', rawBody: SKAN_4_HIGH, headers: { 'content-type': 'application/json' } });
    expect(sent.status).toBe(200);
    await open('skan');
    expect(await page.locator('#skan-table tbody').textContent()).toBe('No verified postbacks in this range.');
    const today = new Date().toISOString().slice(0, 10);
    await showRange(today, today);
    const row = page.locator('#skan-table tr[data-campaign="unmapped"]');
    expect(await row.locator('td[data-col="campaign"]').textContent()).toBe('com.example 5239');
    expect(await row.locator('td[data-col="postbacks"]').textContent()).toBe('1');
    expect(await row.locator('td[data-col="did_win"]').textContent()).toBe('won');
    expect(await row.locator('td[data-col="conversion_values"]').textContent()).toBe('63: 1');
    await fitsWidth('skan');
    await showRange('2026-01-01', '2026-01-02');
  }, 60_000);

  it('Users: explains a user by its device id, naming the touch that won', async () => {
    await open('users');
    await page.fill('#user-id', 'g1');
    await page.click('#user-form button');
    await page.waitForSelector('body[data-explained="g1"]');
    expect(await page.locator('#user-identities tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent))).toEqual(['gaidg1']);
    expect(await page.locator('#user-installs h3').first().textContent()).toMatch(new RegExp(`^install at 2026-01-01T01:00:00.000Z: credited to ${ids.a.campaign_id} \\(unity\\) by device_id$`));
    const won = page.locator('table.candidates tr[data-verdict="won"]');
    expect(await won.count()).toBe(1);
    expect(await won.locator('td[data-col="campaign_id"]').textContent()).toBe(ids.a.campaign_id);
    expect(await page.locator('#user-timeline tbody tr').count()).toBe(5);
    await fitsWidth('users');
    await page.fill('#user-id', 'nobody');
    await page.click('#user-form button');
    await expect.poll(() => page.textContent('#user-status')).toBe(`id: no user of app ${ids.app.app_id} has the id nobody`);
  }, 60_000);

  it('Settings: app id and signature with copy, windows and fraud rules, every platform and store, campaigns, postbacks, webhooks and their log with retry, tokens revoked only once confirmed', async () => {
    await open('settings');
    expect(await page.textContent('#app-details dd[data-field="app id"] span')).toBe(ids.app.app_id);
    const app = (await call(`${server.url}/admin/apps`, { admin: true })).body.apps.find((a: { app_id: string }) => a.app_id === ids.app.app_id);
    expect(await page.textContent('#app-details dd[data-field="app signature"] span')).toBe(app.app_signature);
    await page.click('button[data-copy="app signature"]');
    await expect.poll(() => page.textContent('#manage-status')).toBe('Copied the app signature.');
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(app.app_signature);

    // Every form offers what the CLI takes.
    expect(await page.locator('#app-form select[name="platform"] option').evaluateAll((o) => o.map((x) => x.getAttribute('value')))).toEqual([...PLATFORMS]);
    expect(await page.locator('#app-form select[name="store"] option').evaluateAll((o) => o.map((x) => x.getAttribute('value')))).toEqual(['', ...STORES]);
    expect(await page.locator('#postback-form select[name="format"] option').evaluateAll((o) => o.map((x) => x.getAttribute('value')))).toEqual([...POSTBACK_FORMATS]);

    // Windows and fraud rules: what is saved is what the API holds; an emptied field is the default again.
    expect(await page.inputValue('#settings-form input[name="click_window_s"]')).toBe('');
    expect(await page.inputValue('#settings-form textarea[name="blocked_cidrs"]')).toBe('203.0.113.0/24');
    await page.fill('#settings-form input[name="click_window_s"]', '3d');
    await page.fill('#settings-form input[name="min_ctit_s"]', '0');
    await page.click('#settings-form button');
    await expect.poll(() => page.textContent('#manage-status')).toBe('Settings saved.');
    const saved = (await call(`${server.url}/admin/apps`, { admin: true })).body.apps.find((a: { app_id: string }) => a.app_id === ids.app.app_id).settings;
    expect(saved).toMatchObject({ click_window_s: 259_200, min_ctit_s: 0, blocked_cidrs: ['203.0.113.0/24'], view_window_s: null });
    expect(await page.inputValue('#settings-form input[name="click_window_s"]')).toBe('3d');
    await page.fill('#settings-form input[name="click_window_s"]', '');
    await page.click('#settings-form button');
    await expect.poll(async () => (await call(`${server.url}/admin/apps`, { admin: true })).body.apps.find((a: { app_id: string }) => a.app_id === ids.app.app_id).settings.click_window_s).toBeNull();

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

    // A postback to a partner on loopback, and a webhook that refuses its first request (a 400 is final).
    const partner = await startReceiver();
    const warehouse = await startReceiver((_req, i) => ({ status: i === 0 ? 400 : 200 }));
    receivers.push(partner, warehouse);
    await page.fill('#postback-form input[name="network"]', 'unity');
    await page.selectOption('#postback-form select[name="format"]', 'url');
    await page.fill('#postback-form input[name="url"]', `${partner.url}/pb?u={user_id}`);
    await page.fill('#postback-form input[name="events"]', 'install');
    await page.click('#postback-form button');
    await expect.poll(() => page.textContent('#manage-status')).toBe('Postback to unity added.');
    await page.fill('#webhook-form input[name="url"]', `${warehouse.url}/s2s`);
    await page.fill('#webhook-form input[name="events"]', 'install');
    await page.click('#webhook-form button');
    await expect.poll(() => page.textContent('#manage-status')).toBe('Webhook added.');
    expect(await page.textContent('#webhook-secret')).toMatch(/^signing secret [A-Za-z0-9_-]{43} \(shown once\)$/);
    expect(await page.locator('#webhook-list tbody tr td[data-col="url"]').textContent()).toBe(`${warehouse.url}/s2s`);

    // An install of campaign A (unity): its postback is delivered, its webhook fails once.
    expect((await call(`${server.url}/click?campaign_id=${ids.a.campaign_id}&no_redirect=true&gaid=dash-1`)).status).toBe(200);
    expect((await call(`${server.url}/postback?s2s_token=${token}&user_id=from-dashboard&gaid=dash-1&event_id=open`)).status).toBe(200);
    await partner.waitFor(1, 10_000);
    await warehouse.waitFor(1, 10_000);
    const statuses = async () => (await call(`${server.url}/admin/deliveries?app_id=${ids.app.app_id}`, { admin: true })).body.deliveries.map((d: { status: string }) => d.status).sort();
    await expect.poll(statuses).toEqual(['delivered', 'failed']);
    await open('settings');
    const failed = page.locator('#deliveries-table tbody tr', { has: page.locator('td[data-col="status"]', { hasText: 'failed' }) });
    expect(await failed.locator('td[data-col="last_status"]').textContent()).toBe('400');
    await failed.locator('button', { hasText: 'Attempts' }).click();
    await expect.poll(() => page.locator('#attempts-table tbody td[data-col="status_code"]').allTextContents()).toEqual(['400']);
    await failed.locator('button', { hasText: 'Retry' }).click();
    await expect.poll(() => page.textContent('#manage-status')).toBe('Delivery queued again.');
    await warehouse.waitFor(2, 10_000);
    await expect.poll(statuses).toEqual(['delivered', 'delivered']);
    expect(await page.locator('#deliveries-table tbody td[data-col="url"]').allTextContents()).toContain(`${partner.url}/pb?u=from-dashboard`);

    // Revoke asks first: the token works until the second click.
    const row = page.locator('#token-list tbody tr', { has: page.locator('td[data-col="name"]', { hasText: 'dash' }) });
    await row.locator('button', { hasText: 'Revoke' }).click();
    await page.waitForSelector('#token-list button[data-confirm="revoke"]');
    expect((await call(`${server.url}/postback?s2s_token=${token}&user_id=still&event_id=open`)).status).toBe(200);
    await page.click('#token-list button[data-confirm="revoke"]');
    await expect.poll(() => page.textContent('#manage-status')).toBe('Token revoked.');
    await expect.poll(async () => (await call(`${server.url}/postback?s2s_token=${token}&user_id=x&event_id=open`)).status, { timeout: 10_000 }).toBe(401);
    await fitsWidth('settings');

    // A PC game on Steam from the form becomes the selected app, with its own (empty) report.
    await page.fill('#app-form input[name="name"]', 'Second game');
    await page.selectOption('#app-form select[name="platform"]', 'pc');
    await page.selectOption('#app-form select[name="store"]', 'steam');
    await page.click('#app-form button');
    await expect.poll(() => page.textContent('#manage-status')).toMatch(/^App Second game created: [0-9a-f]{24}$/);
    const second = (await call(`${server.url}/admin/apps`, { admin: true })).body.apps.find((a: { name: string }) => a.name === 'Second game');
    expect(second).toMatchObject({ platform: 'pc', store: 'steam' });
    await expect.poll(() => page.inputValue('#app-select')).toBe(second.app_id);
    await page.click('#nav a[data-page="overview"]');
    await expect.poll(() => page.locator('.tile[data-metric="installs"] .value').textContent()).toBe('0');
  }, 90_000);
});

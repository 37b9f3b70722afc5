import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliJson } from './cli.js';

/**
 * A hand-computed cohort (the expected figures are worked out in test/reports.test.ts):
 * two install days, 2026-01-01 and 2026-01-02; campaign A (unity, CPI $2), campaign B
 * (vungle, CPI $1.50), an organic user, a rejected install (blocked IP) and a reinstall;
 * purchases and ad revenue on days 0 to 9 after install.
 */
export async function seedCohort(env: Record<string, string>) {
  const app = await cliJson(['apps', 'create', '--name', 'Cohort', '--platform', 'android'], env);
  const a = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'unity', '--name', 'A', '--cpi', '2'], env);
  const b = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'vungle', '--name', 'B', '--cpi', '1.5'], env);
  await cliJson(['apps', 'configure', '--app', app.app_id, '--blocked-ips', '203.0.113.0/24'], env);

  const jan = (day: number, hour = 0) => new Date(Date.UTC(2026, 0, day, hour)).toISOString();
  const lines = [
    // u0: installed 2025-11-01 (outside the range), back on 01-01 after 61 days: a reinstall.
    { type: 'open', time: '2025-11-01T10:00:00Z', gaid: 'g0' },
    { type: 'open', time: jan(1, 5), gaid: 'g0' },
    // u1 (A): opens on days 1 and 7; pays $10 on day 2 and EUR 5 (= $5.40) on day 3.
    { type: 'click', time: jan(1, 0), campaign_id: a.campaign_id, gaid: 'g1' },
    { type: 'open', time: jan(1, 1), gaid: 'g1' },
    { type: 'open', time: jan(2, 9), gaid: 'g1' },
    { type: 'open', time: jan(8, 9), gaid: 'g1' },
    { type: 'event', time: jan(3, 9), gaid: 'g1', event_id: 'purchase', revenue: 10, currency: 'USD' },
    { type: 'event', time: jan(4, 9), gaid: 'g1', event_id: 'purchase', revenue: 5, currency: 'EUR' },
    // u2 (A): opens on day 1; plays a level, never pays.
    { type: 'click', time: jan(1, 0), campaign_id: a.campaign_id, gaid: 'g2' },
    { type: 'open', time: jan(1, 2), gaid: 'g2' },
    { type: 'open', time: jan(2, 2), gaid: 'g2' },
    { type: 'event', time: jan(2, 3), gaid: 'g2', event_id: 'level_10' },
    // ... and earns ads: $0.50 on day 0 (10 impressions), $1 on day 9 (20).
    { type: 'ad_revenue', time: jan(1, 3), gaid: 'g2', revenue: 0.5, currency: 'USD', ad_network: 'APPLOVIN_BIDDING', ad_impressions: 10 },
    { type: 'ad_revenue', time: jan(10, 2), gaid: 'g2', revenue: 1, currency: 'USD', ad_network: 'ADMOB_BIDDING', ad_impressions: 20 },
    // u3 (organic): opens on day 30; pays 3 in a currency without a rate on day 1.
    { type: 'open', time: jan(1, 3), gaid: 'g3' },
    { type: 'open', time: jan(31, 2), gaid: 'g3' },
    { type: 'event', time: jan(2, 3), gaid: 'g3', event_id: 'purchase', revenue: 3, currency: 'XYZ' },
    // ... and EUR 1 (= $1.08) of ads on day 7 (4 impressions).
    { type: 'ad_revenue', time: jan(8, 5), gaid: 'g3', revenue: 1, currency: 'EUR', ad_impressions: 4 },
    // u4 (B): pays $20 on day 0, opens on day 7.
    { type: 'click', time: jan(1, 0), campaign_id: b.campaign_id, gaid: 'g4' },
    { type: 'open', time: jan(1, 4), gaid: 'g4' },
    { type: 'event', time: jan(1, 6), gaid: 'g4', event_id: 'purchase', revenue: 20, currency: 'USD' },
    { type: 'open', time: jan(8, 4), gaid: 'g4' },
    // A completed view of B that led nowhere.
    { type: 'view', time: jan(1, 7), campaign_id: b.campaign_id, gaid: 'g8' },
    // u5 (B) installs from a blocked IP: rejected; its $100 counts nowhere.
    { type: 'click', time: jan(2, 0), campaign_id: b.campaign_id, gaid: 'g5' },
    { type: 'open', time: jan(2, 1), gaid: 'g5', ip: '203.0.113.5' },
    { type: 'event', time: jan(2, 2), gaid: 'g5', event_id: 'purchase', revenue: 100, currency: 'USD' },
    { type: 'ad_revenue', time: jan(2, 3), gaid: 'g5', revenue: 9, ad_impressions: 90 },
    // u6 (A): opens on days 1 and 30.
    { type: 'click', time: jan(2, 0), campaign_id: a.campaign_id, gaid: 'g6' },
    { type: 'open', time: jan(2, 1), gaid: 'g6' },
    { type: 'open', time: jan(3, 1), gaid: 'g6' },
    { type: 'open', time: jan(32, 1), gaid: 'g6' },
    // A click of A that led nowhere.
    { type: 'click', time: jan(2, 5), campaign_id: a.campaign_id, gaid: 'g7' },
  ];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-cohort-'));
  const file = path.join(dir, 'cohort.ndjson');
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  try {
    const summary = await cliJson(['import', '--app', app.app_id, '--file', file], env);
    if (summary.errors.length > 0) throw new Error(`cohort import failed: ${JSON.stringify(summary.errors)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { app, a, b };
}

/**
 * Property test of the report maths (issue #18 items 7 and 8): random installs, opens, purchases
 * and sender-claimed installs, stored straight through ingest (no HTTP validation, so opens
 * before the install and far-future ones get in too), then every report is checked: rates lie
 * in [0, 1], a numerator only counts users of its denominator, totals agree with the rows.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App, Campaign } from '../../../src/domain/apps.js';
import { ORGANIC } from '../../../src/domain/attribution.js';
import { DAY_MS, RETENTION_DAYS, dayNumber, type ReportMetrics } from '../../../src/domain/metrics.js';
import { recordConversion } from '../../../src/ingest/conversions.js';
import type { ConversionRecord } from '../../../src/ingest/records.js';
import { buildCohorts, buildReport, type Report } from '../../../src/reports/report.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { touchpoint } from '../../helpers/fixtures.js';

const HOUR = 3_600_000;
const D0 = Date.UTC(2026, 0, 1);
const COUNTS = ['clicks', 'views', 'installs', 'organic_installs', 'rejected_installs', 'reinstalls', 'opens', 'purchases', 'unpriced_purchases', 'payers'] as const;
const RATES = ['d1_retention', 'd7_retention', 'd30_retention', 'payer_rate'] as const;
/** Each derived figure is a ratio of sums, so the totals' one lies between the rows' ones. */
const MEDIANTS = [...RATES, 'arpu', 'arppu', 'roas'] as const;

type Sighting =
  | { kind: 'open' | 'event'; user: number; hours: number }
  | { kind: 'purchase'; user: number; hours: number; revenue: number; currency: 'USD' | 'XYZ' }
  | { kind: 'claim'; user: number; hours: number; network: 'Chartboost' | 'chartboost' | 'other' };

/** Hours after 2026-01-01: mostly the first days (inside the click window), sometimes far ahead. */
const hours = fc.oneof({ arbitrary: fc.integer({ min: -72, max: 24 * 4 }), weight: 6 }, { arbitrary: fc.integer({ min: -72, max: 24 * 40 }), weight: 1 });
const user = fc.nat(3);

const sighting: fc.Arbitrary<Sighting> = fc.oneof(
  fc.record({ kind: fc.constantFrom('open' as const, 'event' as const), user, hours }),
  fc.record({
    kind: fc.constant('purchase' as const),
    user,
    hours,
    revenue: fc.integer({ min: 1, max: 100 }),
    currency: fc.constantFrom('USD' as const, 'XYZ' as const),
  }),
  fc.record({ kind: fc.constant('claim' as const), user, hours, network: fc.constantFrom('Chartboost' as const, 'chartboost' as const, 'other' as const) }),
);

const scenario = fc.record({
  /** Per user: the campaign (0: A with CPI, 1: B without, 2: C with CPI) it clicked, or none. */
  clicks: fc.array(fc.option(fc.nat(2), { nil: undefined }), { minLength: 4, maxLength: 4 }),
  /** Users installing from a blocked IP: rejected. */
  blocked: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  sightings: fc.array(sighting, { minLength: 1, maxLength: 30 }),
  nowHours: fc.integer({ min: 0, max: 24 * 8 }),
  range: fc.tuple(fc.integer({ min: -3, max: 5 }), fc.integer({ min: 0, max: 45 })),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

describe.each(BACKENDS)('report maths over random data on $name', (backend) => {
  let db: TestDatabase;
  let seq = 0;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(async () => db?.dispose());

  async function seed(s: Scenario): Promise<App> {
    const created = await db.store.createApp({ name: `p${++seq}`, platform: 'android', store: 'google_play', store_url: null });
    const app = (await db.store.updateAppSettings(created.app_id, { min_ctit_s: 0, blocked_cidrs: ['203.0.113.0/24'] }))!;
    const campaigns: Campaign[] = [];
    for (const [network, cpi] of [['unity', 2], ['Vungle', null], ['vungle', 1.5]] as const) {
      campaigns.push(await db.store.createCampaign({ app_id: app.app_id, network, name: network + cpi, cpi, click_window_s: null, view_window_s: null, probabilistic_window_s: null }));
    }
    await db.store.transaction((tx) =>
      tx.insertTouchpoints(
        s.clicks.flatMap((c, user) =>
          c === undefined ? [] : [touchpoint(app.app_id, campaigns[c]!.campaign_id, { network: campaigns[c]!.network, gaid: `g${user}`, created_at: D0 - 73 * HOUR })],
        ),
      ),
    );
    for (const e of s.sightings) {
      const time = D0 + e.hours * HOUR;
      const record: ConversionRecord = {
        app,
        time,
        receivedAt: time,
        source: 'property',
        deviceIds: { gaid: `g${e.user}` },
        ip: s.blocked[e.user] ? '203.0.113.9' : '198.51.100.9',
        clickIds: [],
        viewIds: [],
      };
      if (e.kind === 'claim') {
        record.senderAttribution =
          e.network === 'other' ? { ...ORGANIC, network: 'other' } : { ...ORGANIC, status: 'attributed', match_type: 'claimed', network: e.network };
      } else {
        record.event = {
          kind: e.kind,
          name: e.kind,
          ...(e.kind === 'purchase' ? { revenue: e.revenue, currency: e.currency } : {}),
        };
      }
      await db.store.transaction((tx) => recordConversion(tx, record));
    }
    return app;
  }

  /** Retention and payers worked out from the stored rows, user by user. */
  async function oracle(appId: string, fromDay: number, toDay: number, today: number) {
    const installs = (await db.store.listInstalls(appId)).filter((i) => i.kind === 'install' && i.status !== 'rejected' && dayNumber(i.installed_at) >= fromDay && dayNumber(i.installed_at) <= toDay);
    const events = await db.store.listEvents(appId);
    const out: Record<string, number | null> = {};
    for (const n of RETENTION_DAYS) {
      const matured = installs.filter((i) => dayNumber(i.installed_at) + n <= today);
      const retained = matured.filter((i) => events.some((e) => e.user_pk === i.user_pk && e.kind === 'open' && dayNumber(e.occurred_at) - dayNumber(i.installed_at) === n));
      out[`d${n}_retention`] = matured.length === 0 ? null : round6(retained.length / matured.length);
    }
    const payers = installs.filter((i) => events.some((e) => e.user_pk === i.user_pk && e.kind === 'purchase'));
    out.payer_rate = installs.length === 0 ? null : round6(payers.length / installs.length);
    return out;
  }

  function checkReport(report: Report) {
    const all: ReportMetrics[] = [...report.rows, report.totals];
    for (const row of all) {
      for (const rate of RATES) {
        const v = row[rate];
        if (v !== null) expect(v, `${rate} of ${JSON.stringify(row)}`).toBeGreaterThanOrEqual(0);
        if (v !== null) expect(v, `${rate} of ${JSON.stringify(row)}`).toBeLessThanOrEqual(1);
      }
      expect(row.payers).toBeLessThanOrEqual(row.installs + row.organic_installs);
      if (row.spend === 0) expect(row.roas, `roas without spend in ${JSON.stringify(row)}`).toBeNull();
    }
    for (const count of COUNTS) expect(report.totals[count], count).toBe(report.rows.reduce((sum, r) => sum + r[count], 0));
    for (const money of ['revenue_usd', 'spend'] as const) {
      expect(Math.abs(report.totals[money] - report.rows.reduce((sum, r) => sum + r[money], 0))).toBeLessThan(0.01 * (report.rows.length + 1));
    }
    for (const m of MEDIANTS) {
      const values = report.rows.map((r) => r[m]).filter((v): v is number => v !== null);
      const total = report.totals[m];
      if (values.length === 0) {
        expect(total, `${m}: every row null, totals ${total}`).toBeNull();
      } else {
        expect(total, `${m} of the totals`).not.toBeNull();
        expect(total!, `${m}: totals ${total} vs rows ${values}`).toBeGreaterThanOrEqual(Math.min(...values) - 1e-5);
        expect(total!, `${m}: totals ${total} vs rows ${values}`).toBeLessThanOrEqual(Math.max(...values) + 1e-5);
      }
    }
  }

  it('rates in [0, 1], numerators within denominators, totals consistent with rows', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const app = await seed(s);
        const now = D0 + s.nowHours * HOUR;
        const fromDay = dayNumber(D0) + Math.min(...s.range);
        const toDay = dayNumber(D0) + Math.max(...s.range);
        const request = { app_id: app.app_id, from: day(fromDay), to: day(toDay) };
        const reports = await Promise.all((['day', 'campaign', 'network'] as const).map((group_by) => buildReport(db.store, { ...request, group_by }, now)));
        const expected = await oracle(app.app_id, fromDay, toDay, dayNumber(now));
        for (const report of reports) {
          checkReport(report);
          expect(report.totals).toMatchObject(expected);
          // Every grouping covers the same cohort.
          expect(report.totals).toEqual(reports[0]!.totals);
        }
        const cohorts = await buildCohorts(db.store, request, now);
        for (const c of cohorts.cohorts) {
          for (const r of c.retention.filter((v) => v !== null)) expect(r >= 0 && r <= 1, `cohort retention ${r}`).toBe(true);
          c.retained.forEach((count) => expect(count).toBeLessThanOrEqual(c.users));
        }
      }),
      {
        numRuns: backend.name === 'sqlite' ? 100 : 30,
        interruptAfterTimeLimit: 60_000,
        examples: [
          // The case: one open dated a day ahead (day 1 of a cohort installed today)
          // beside a cohort of two days ago that did not come back: retention 1 in the totals.
          [
            {
              clicks: [undefined, undefined, undefined, undefined],
              blocked: [false, false, false, false],
              sightings: [
                { kind: 'open', user: 1, hours: -48 },
                { kind: 'open', user: 0, hours: 1 },
                { kind: 'open', user: 0, hours: 25 },
              ],
              nowHours: 2,
              range: [-3, 0],
            },
          ],
        ],
      },
    );
  }, 120_000);
});

function day(n: number): string {
  return new Date(n * DAY_MS).toISOString().slice(0, 10);
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

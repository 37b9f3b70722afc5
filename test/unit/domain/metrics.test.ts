import { describe, expect, it } from 'vitest';
import { activityBit, deriveMetrics, emptyCounters, formatDay, parseDay, withSpend } from '../../../src/domain/metrics.js';
import { formatSegmentRule, parseSegmentRule, parseSegmentRules } from '../../../src/domain/segments.js';

describe('report maths', () => {
  it('divides by the cohort (attributed + organic), and gives null for a division by zero', () => {
    const c = emptyCounters();
    expect(deriveMetrics(c)).toMatchObject({ payer_rate: null, arpu: null, arppu: null, roas: null, d1_retention: null });
    Object.assign(c, { installs: 3, organic_installs: 1, payers: 1, revenue_usd: 10, attributed_revenue_usd: 6, roas_revenue_usd: 6, spend: 4 });
    c.retained[1] = 2;
    c.matured[1] = 4;
    expect(deriveMetrics(c)).toMatchObject({ payer_rate: 0.25, arpu: 2.5, arppu: 10, roas: 1.5, d1_retention: 0.5, d7_retention: null });
  });

  it('keeps revenue without spend behind it out of ROAS', () => {
    const campaign = { ...emptyCounters(), installs: 2, revenue_usd: 12, attributed_revenue_usd: 12 };
    expect(deriveMetrics(withSpend(campaign, 3))).toMatchObject({ spend: 6, roas: 2 });
    // No CPI (or a claimed install outside any campaign): no spend, so no ROAS, and its revenue
    // stays out of any sum it is added to.
    const unpaid = withSpend(campaign, null);
    expect(deriveMetrics(unpaid)).toMatchObject({ spend: 0, roas: null, revenue_usd: 12 });
    expect(unpaid.roas_revenue_usd).toBe(0);
    expect(withSpend({ ...campaign, installs: 0 }, 3).roas_revenue_usd).toBe(0);
  });

  it('reads calendar dates only', () => {
    expect(parseDay('2026-01-01')).toBe(20454);
    expect(formatDay(20454)).toBe('2026-01-01');
    for (const bad of ['2026-02-30', '2026-1-1', '26-01-01', '2026-01-01T00:00:00Z', '']) expect(parseDay(bad)).toBeUndefined();
  });

  it('marks days 0..30 after install, nothing else', () => {
    expect(activityBit(0)).toBe(1);
    expect(activityBit(30)).toBe(2 ** 30);
    expect(activityBit(31)).toBe(0);
    expect(activityBit(-1)).toBe(0);
  });
});

describe('segment rules', () => {
  it('parses every form and prints it back', () => {
    for (const text of ['event=level_10', 'not event=purchase', 'revenue_usd>=4.99', 'last_seen_days>=14', 'campaign=abc', 'network=unity', 'platform=ios']) {
      const rule = parseSegmentRule(text);
      expect('error' in rule).toBe(false);
      if (!('error' in rule)) expect(formatSegmentRule(rule)).toBe(text);
    }
    expect(parseSegmentRule('  revenue_usd >= 5 ')).toEqual({ field: 'revenue_usd', min: 5 });
  });

  it('names the rule that is wrong', () => {
    expect(parseSegmentRule('revenue_usd=5')).toEqual({ error: 'rule "revenue_usd=5": revenue_usd takes >=, e.g. revenue_usd>=10' });
    expect(parseSegmentRule('event>=5')).toEqual({ error: 'rule "event>=5": event takes =, e.g. event=VALUE' });
    expect(parseSegmentRule('last_seen_days>=-1')).toEqual({ error: 'rule "last_seen_days>=-1": last_seen_days needs a non-negative number' });
    expect(parseSegmentRule('country=DE')).toMatchObject({ error: expect.stringContaining('unknown field "country"') });
    expect(parseSegmentRules([])).toMatchObject({ error: expect.stringContaining('at least one rule') });
    expect(parseSegmentRules(['event=a', 'oops'])).toMatchObject({ error: expect.stringContaining('rule "oops"') });
  });
});

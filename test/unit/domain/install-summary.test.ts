import { describe, expect, it } from 'vitest';
import { addSummary, emptySummary, eventSummary } from '../../../src/domain/install-summary.js';

const DAY = 86_400_000;
const INSTALLED = Date.UTC(2026, 10, 1, 23, 0);

describe('install summary', () => {
  it('counts ad revenue in total revenue and apart, with its impressions, and no purchase', () => {
    const s = eventSummary({ kind: 'ad_revenue', occurred_at: INSTALLED + 1000, revenue_usd: 0.25, ad_impressions: 3 }, INSTALLED);
    expect(s).toMatchObject({ revenue_usd: 0.25, ad_revenue_usd: 0.25, ad_impressions: 3, purchases: 0, opens: 0, active_days: 0 });
  });

  it('keeps revenue by UTC day after install: day 0, 7 and 30 are cumulative', () => {
    // 23:00 on install day, one hour later is day 1 (UTC days, as retention counts them).
    const at = (day: number) => eventSummary({ kind: 'purchase', occurred_at: Date.UTC(2026, 10, 1 + day, 1), revenue_usd: 2, ad_impressions: null }, INSTALLED);
    expect(at(0)).toMatchObject({ revenue_d0_usd: 2, revenue_d7_usd: 2, revenue_d30_usd: 2, purchases: 1 });
    expect(at(1)).toMatchObject({ revenue_d0_usd: 0, revenue_d7_usd: 2, revenue_d30_usd: 2 });
    expect(at(8)).toMatchObject({ revenue_d0_usd: 0, revenue_d7_usd: 0, revenue_d30_usd: 2 });
    expect(at(31)).toMatchObject({ revenue_d0_usd: 0, revenue_d7_usd: 0, revenue_d30_usd: 0, revenue_usd: 2 });
    // A sender's clock behind the install: counted from day 0.
    expect(eventSummary({ kind: 'purchase', occurred_at: INSTALLED - 2 * DAY, revenue_usd: 1, ad_impressions: null }, INSTALLED).revenue_d0_usd).toBe(1);
  });

  it('an unpriced purchase counts as one, with no revenue', () => {
    expect(eventSummary({ kind: 'purchase', occurred_at: INSTALLED, revenue_usd: null, ad_impressions: null }, INSTALLED)).toMatchObject({
      purchases: 1, unpriced_purchases: 1, revenue_usd: 0, revenue_d0_usd: 0,
    });
  });

  it('adds counts and ORs the activity days', () => {
    const open = (day: number) => eventSummary({ kind: 'open', occurred_at: INSTALLED + day * DAY, revenue_usd: null, ad_impressions: null }, INSTALLED);
    const sum = addSummary(addSummary(addSummary(emptySummary(), open(0)), open(1)), open(1));
    expect(sum).toMatchObject({ opens: 3, active_days: 0b11 });
  });
});

import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/auth/rate-limit.js';
import type { App } from '../../../src/domain/apps.js';
import { Catalog } from '../../../src/ingest/catalog.js';
import { skippingClock } from '../../helpers/clock.js';

describe('time-dependent code reads its clock', () => {
  it('the catalog trusts a read for its period, then reads again', async () => {
    const clock = skippingClock({ frozen: true });
    let name = 'first';
    let reads = 0;
    const store = {
      getApp: async (appId: string) => (reads++, { app_id: appId, name }) as App,
      getCampaign: async () => undefined,
      listPostbacks: async () => [],
      getPostback: async () => undefined,
      listRates: async () => [],
      findAppByAlias: async () => undefined,
      listAliases: async () => ({ apps: {}, events: {} }),
    };
    const catalog = new Catalog(store, 2000, clock);
    expect((await catalog.getApp('a'))?.name).toBe('first');
    name = 'renamed elsewhere';
    clock.advance(1999);
    expect((await catalog.getApp('a'))?.name).toBe('first');
    clock.advance(1);
    expect((await catalog.getApp('a'))?.name).toBe('renamed elsewhere');
    expect(reads).toBe(2);
  });

  it('the rate limiter refills a token\'s bucket as its clock moves', () => {
    const clock = skippingClock({ frozen: true });
    const limiter = new RateLimiter(2, clock);
    expect([limiter.take('t'), limiter.take('t'), limiter.take('t')]).toEqual([true, true, false]);
    clock.advance(499);
    expect(limiter.take('t')).toBe(false);
    clock.advance(1);
    expect(limiter.take('t')).toBe(true);
    expect(limiter.take('other')).toBe(true);
  });
});

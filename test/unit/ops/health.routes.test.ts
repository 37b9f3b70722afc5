import { describe, expect, it } from 'vitest';

describe('/readyz while writes fail', () => {
  it('fails while the last commit failed with an outage, and falls back to the ping once no write has been tried for a while', async () => {
    const Fastify = (await import('fastify')).default;
    const { healthRoutes, WRITE_OUTAGE_READY_MS } = await import('../../../src/ops/health.routes.js');
    const { Metrics } = await import('../../../src/http/metrics.js');
    let now = 1_000_000;
    const writes: { outage: { error: unknown; at: number } | undefined } = { outage: undefined };
    const app = Fastify();
    const store = { ping: async () => {} } as unknown as import('../../../src/storage/store.js').Store;
    await app.register(healthRoutes, { store, metrics: new Metrics(), writes, now: () => now });
    try {
      expect((await app.inject('/readyz')).statusCode).toBe(200);
      writes.outage = { error: Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }), at: now };
      const failing = await app.inject('/readyz');
      expect(failing.statusCode).toBe(503);
      expect(failing.json()).toEqual({ status: 503, message: 'database: writes are failing (SQLITE_FULL)' });
      now += WRITE_OUTAGE_READY_MS - 1;
      expect((await app.inject('/readyz')).statusCode).toBe(503);
      now += 1;
      expect((await app.inject('/readyz')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { call, startTestServer } from '../../helpers/server.js';

describe('currency', () => {
  it.each(BACKENDS)('stores revenue in its currency with its USD value; a currency without a rate is flagged ($name)', async (backend) => {
    const server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    try {
      const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'A', platform: 'ios' } })).body;
      const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
      const buy = (amount: string, currency: string) => call(`${server.url}/postback?s2s_token=${token}&user_id=u&event_id=buy&sale_amount=${amount}&sale_amount_currency=${currency}`);
      await buy('10', 'EUR');
      await buy('5', 'XYZ');
      const set = await call(`${server.url}/admin/rates/EUR`, { admin: true, method: 'PUT', body: { usd_per_unit: 1.25 } });
      expect(set.body).toEqual({ currency: 'EUR', usd_per_unit: 1.25 });
      await buy('10', 'EUR');
      const events = await server.db.store.listEvents(app.app_id);
      expect(events.map((e) => [e.revenue, e.currency, e.revenue_usd])).toEqual([
        [10, 'EUR', 10.8],
        [5, 'XYZ', null],
        [10, 'EUR', 12.5],
      ]);
      const listed = await cliJson(['rates', 'list'], server.db.env);
      expect(listed.rates).toContainEqual(expect.objectContaining({ currency: 'EUR', usd_per_unit: 1.25, source: 'set' }));
      expect(listed.rates).toContainEqual(expect.objectContaining({ currency: 'GBP', source: 'default 2026-11-01' }));
      expect((await cliJson(['rates', 'set', 'sek', '0.1'], server.db.env)).currency).toBe('SEK');
      expect((await runCli(['rates', 'set', 'EURO', '1'], server.db.env)).stderr).toBe('error: currency: "EURO" is not a 3-letter currency code\n');
      expect((await runCli(['rates', 'set', 'EUR', '-1'], server.db.env)).stderr).toBe('error: usd_per_unit: must be a positive number, got "-1"\n');
    } finally {
      await server.close();
    }
  });
});

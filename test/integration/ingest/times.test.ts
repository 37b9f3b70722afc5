import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../../src/protocols/chartboost/signature.js';
import { BACKENDS } from '../../helpers/backends.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

const HOUR_S = 3600;

describe.each(BACKENDS)('future sender times on $name', (backend) => {
  let server: TestServer;
  let app: any;
  let token: string;
  let signer: { token: string; secret: string };

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Clock', platform: 'pc' } })).body;
    token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
    signer = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id], secret: true, name: 'mmp' } })).body;
  });
  afterAll(async () => server?.close());

  const measure = (body: unknown) => call(`${server.url}/measure`, { body, headers: { authorization: `Bearer ${token}` } });
  const open = (user: string, seconds: number) => ({ user_id: user, event_name: 'game_open', ip: '192.0.2.1', time_stamp: String(seconds), platform: 'pc', storefront: 'steam' });

  it('/measure refuses a time_stamp a day or two hours ahead with a 400 naming it, and stores nothing', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ahead of [86_400, 2 * HOUR_S]) {
      const res = await measure(open(`future-${ahead}`, now + ahead));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: 400, message: expect.stringMatching(/^time_stamp: .*more than 1 h after the server's clock/) });
    }
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'user_id', value: `future-86400` })).toBeUndefined();
    // A batch names the item's field too.
    const batch = await measure([open('batch-future', now + 86_400)]);
    expect(batch.body.errors[0]).toMatchObject({ index: 0, message: expect.stringMatching(/^time_stamp: /) });
    // Half an hour ahead is clock drift: taken.
    expect((await measure(open('drift', now + HOUR_S / 2))).status).toBe(200);
  });

  it('/measure refuses a time_stamp too far ahead for a date to print with a 400, not a 500, alone or in a batch', async () => {
    const res = await measure(open('far-future', 1e13));
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^time_stamp: .*more than 1 h after/);
    const batch = await measure([open('far-future-batch', 1e13), open('batch-ok', Math.floor(Date.now() / 1000))]);
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({ accepted: 1, errors: [{ index: 0, message: expect.stringMatching(/^time_stamp: /) }] });
  });

  it('/measure refuses a lone surrogate in a string field with a 400 naming it', async () => {
    const res = await call(`${server.url}/measure`, {
      rawBody: '{"user_id":"u\\ud800","event_name":"game_open","ip":"192.0.2.1","time_stamp":"1790000000","platform":"pc","storefront":"steam"}',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/^user_id: not valid Unicode/);
  });

  it('Chartboost v1 refuses a timestamp two hours ahead (it allowed a day) with the status in the body', async () => {
    const body = JSON.stringify({ app_id: app.app_id, gaid: '11111111-2222-3333-4444-555555555555', claim: 0, timestamp: Math.floor(Date.now() / 1000) + 2 * HOUR_S });
    const res = await call(`${server.url}/api/v1/install.json`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-chartboost-token': signer.token, 'x-chartboost-signature': signChartboost('attribution', signer.secret, app.app_signature, body) },
    });
    expect(res.body).toMatchObject({ status: 400, message: expect.stringMatching(/^timestamp: .*more than 1 h after the server's clock/) });
    expect(await server.db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: '11111111-2222-3333-4444-555555555555' })).toBeUndefined();
  });
});

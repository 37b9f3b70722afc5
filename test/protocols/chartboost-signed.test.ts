import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../src/protocols/chartboost/signature.js';
import { BACKENDS } from '../helpers/backends.js';
import { rawQuery } from '../helpers/raw-sql.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

/** Every table a conversion can write to; a replay with a forged query must leave them as they were. */
const TABLES = ['installs', 'events', 'event_dedup', 'users', 'user_identities', 'idempotency_keys', 'deliveries'];

describe.each(BACKENDS)('signed Chartboost endpoints take parameters from the signed body only, on $name', (backend) => {
  let server: TestServer;
  let appId: string;
  let appSignature: string;
  let otherAppId: string;
  let token: string;
  let secret: string;
  let clickId: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Gems', platform: 'android' } })).body;
    const other = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'Other', platform: 'android' } })).body;
    appId = app.app_id;
    appSignature = app.app_signature;
    otherAppId = other.app_id;
    const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: appId, network: 'chartboost', name: 'Launch' } })).body;
    const issued = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [appId, otherAppId], secret: true } })).body;
    token = issued.token;
    secret = issued.secret;
    clickId = (await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaign.campaign_id, no_redirect: 'true', gaid: 'clicked-gaid' })}`)).body.id;
  });
  afterAll(async () => {
    await server.close();
  });

  function signedPost(pathAndQuery: string, body: string, action: 'attribution' | 'pia') {
    return call(`${server.url}${pathAndQuery}`, {
      rawBody: body,
      headers: { 'content-type': 'application/json', 'x-chartboost-token': token, 'x-chartboost-signature': signChartboost(action, secret, appSignature, body) },
    });
  }

  async function snapshot(): Promise<string[]> {
    const rows: string[] = [];
    for (const table of TABLES) {
      for (const row of await rawQuery(server.db, `select * from ${table}`, [])) rows.push(`${table} ${JSON.stringify(row)}`);
    }
    return rows.sort();
  }

  it('v1 install.json: a signed body replayed with any documented parameter in the query is refused (200, status 400 in the body) and stores nothing', async () => {
    const body = JSON.stringify({ app_id: appId, gaid: 'signed-gaid-1', claim: 1, attributed_to: 'chartboost' });
    expect((await signedPost('/api/v1/install.json', body, 'attribution')).body).toEqual({ status: 200, message: 'Attribution request received' });
    const before = await snapshot();
    const forged: Record<string, string> = {
      app_id: otherAppId,
      claim: '0',
      gaid: 'forged-gaid',
      ifa: 'forged-ifa',
      uuid: 'forged-uuid',
      organic: '1',
      attributed_to: 'forged_network',
      timestamp: '1700000000',
    };
    for (const [key, value] of Object.entries(forged)) {
      const res = await signedPost(`/api/v1/install.json?${new URLSearchParams({ [key]: value })}`, body, 'attribution');
      expect(res.status, key).toBe(200);
      expect(res.body, key).toEqual({ status: 400, message: expect.stringMatching(new RegExp(`^${key}: `)) });
      expect(res.body.message, key).toContain('signed body');
    }
    const all = await signedPost(`/api/v1/install.json?${new URLSearchParams(forged)}`, body, 'attribution');
    expect(all.body.status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  it('v3 track: a signed purchase replayed with any documented parameter in the query is a 400 naming it and stores nothing', async () => {
    const body = JSON.stringify({ app_id: appId, gaid: 'signed-gaid-2', iap: { product_id: 'gems', price: 1.99, currency: 'USD' } });
    expect((await signedPost('/event_service/v3/track', body, 'pia')).body).toEqual({ status: 200, message: 'OK' });
    const before = await snapshot();
    const forged: Record<string, string> = {
      app_id: otherAppId,
      ifa: 'forged-ifa',
      gaid: 'forged-gaid',
      fire_adid: 'forged-fire',
      uuid: 'forged-uuid',
      iap: 'forged',
      click_id: clickId,
      completed_view_id: clickId,
      match_type: 'forged',
      transaction_id: 'forged-transaction',
      event_uid: 'forged-uid',
    };
    for (const [key, value] of Object.entries(forged)) {
      const res = await signedPost(`/event_service/v3/track?${new URLSearchParams({ [key]: value })}`, body, 'pia');
      expect(res.status, key).toBe(400);
      expect(res.body, key).toEqual({ status: 400, message: expect.stringMatching(new RegExp(`^${key}: `)) });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('v3 track: a signed purchase replayed with an unsigned Idempotency-Key header is refused and stored once', async () => {
    const body = JSON.stringify({ app_id: appId, gaid: 'signed-gaid-3', transaction_id: 't-3', iap: { product_id: 'gems', price: 2.99, currency: 'USD' } });
    expect((await signedPost('/event_service/v3/track', body, 'pia')).body).toEqual({ status: 200, message: 'OK' });
    const before = await snapshot();
    for (const key of ['replay-1', 'replay-2']) {
      const res = await call(`${server.url}/event_service/v3/track`, {
        rawBody: body,
        headers: { 'content-type': 'application/json', 'idempotency-key': key, 'x-chartboost-token': token, 'x-chartboost-signature': signChartboost('pia', secret, appSignature, body) },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toMatch(/^idempotency-key: /);
    }
    expect(await snapshot()).toEqual(before);
  });
});

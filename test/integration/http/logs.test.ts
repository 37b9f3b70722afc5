import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../../helpers/backends.js';
import { ADMIN_TOKEN, call, startTestServer } from '../../helpers/server.js';

describe('logs', () => {
  it('never contain tokens, secrets, signatures or the admin token, at debug level', async () => {
    const server = await startTestServer(BACKENDS[0]!, { LOG_LEVEL: 'trace' });
    try {
      const app = await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'A', platform: 'ios' } });
      const issued = await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.body.app_id], secret: true } });
      const { token, secret } = issued.body;
      // Credentials in every place a client might put them, on found and missing routes.
      await call(`${server.url}/healthz?token=${token}&s2s_token=${token}`);
      await call(`${server.url}/nowhere?token=${token}&secret=${secret}`, {
        headers: { authorization: token, 'x-chartboost-token': token, 'x-chartboost-signature': secret },
      });
      await call(`${server.url}/admin/tokens/revoke`, { admin: true, body: { token } });
      await call(`${server.url}/admin/apps`, { headers: { authorization: `Bearer ${token}` } });
      await call(`${server.url}/admin/apps`, { admin: true, rawBody: `{"name":"${secret}"`, headers: { 'content-type': 'application/json' } });
      // Every protocol, with credentials where each puts them, accepted and refused.
      const other = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.body.app_id], secret: true } })).body;
      const body = JSON.stringify({ app_id: app.body.app_id, gaid: 'g', claim: 1 });
      const signature = (await import('../../../src/protocols/chartboost/signature.js')).signChartboost('attribution', other.secret, app.body.app_signature, body);
      await call(`${server.url}/api/v1/install.json`, { rawBody: body, headers: { 'content-type': 'application/json', 'x-chartboost-token': other.token, 'x-chartboost-signature': signature } });
      await call(`${server.url}/api/v1/install.json`, { rawBody: body, headers: { 'content-type': 'application/json', 'x-chartboost-token': other.token, 'x-chartboost-signature': 'f'.repeat(64) } });
      await call(`${server.url}/api/v2/open?token=${other.token}&app_id=${app.body.app_id}&idfa=x`);
      await call(`${server.url}/api/v2/open`, { body: { token: other.token, app_id: app.body.app_id } });
      await call(`${server.url}/postback?s2s_token=${other.token}&user_id=u&event_id=e`);
      await call(`${server.url}/postback?user_id=u`, { headers: { authorization: other.token } });
      await call(`${server.url}/s2sevent?token=${other.token}&user_id=u`);
      await call(`${server.url}/measure`, { body: { user_id: 'u' }, headers: { authorization: `Bearer ${other.token}` } });
      await call(`${server.url}/click?s2stoken=${other.token}&no_redirect=true`);

      const everything = server.logs.join('\n');
      expect(everything).toContain('/api/v2/open?token=[redacted]');
      expect(server.logs.length).toBeGreaterThan(10);
      expect(everything).toContain('[redacted]');
      for (const value of [token, secret, ADMIN_TOKEN, app.body.app_signature, other.token, other.secret, signature]) expect(everything).not.toContain(value);
    } finally {
      await server.close();
    }
  });
});

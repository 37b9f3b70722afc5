import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChildLoggerFactory, redactUrl } from '../../../src/logger.js';
import { BACKENDS } from '../../helpers/backends.js';
import { ADMIN_TOKEN, call, startTestServer } from '../../helpers/server.js';

describe('logs', () => {
  it('masks credential query parameters in URLs', () => {
    expect(redactUrl('/api/v2/open?token=abc&app_id=1')).toBe('/api/v2/open?token=[redacted]&app_id=1');
    expect(redactUrl('/postback?S2S_TOKEN=abc&user_id=u')).toBe('/postback?S2S_TOKEN=[redacted]&user_id=u');
    expect(redactUrl('/click?s2stoken=abc&secret=x&signature=y')).toBe('/click?s2stoken=[redacted]&secret=[redacted]&signature=[redacted]');
    expect(redactUrl('/x?%74oken=abc')).toBe('/x?%74oken=[redacted]');
    expect(redactUrl('/x?%zz=1&token')).toBe('/x?%zz=1&token=[redacted]');
    expect(redactUrl('/healthz')).toBe('/healthz');
  });

  it("makes a request's child logger only when the request logs at a level that is on", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger('warn', sink);
    let made = 0;
    const child = logger.child.bind(logger);
    logger.child = ((...args: Parameters<Logger['child']>) => (made++, child(...args))) as Logger['child'];
    const requestLog = lazyChildLoggerFactory(logger, { reqId: 'r-1' }, {});
    requestLog.info('below the level');
    requestLog.debug({ detail: 1 }, 'below the level');
    expect(made).toBe(0);
    expect(requestLog.isLevelEnabled('warn')).toBe(true);
    requestLog.warn({ status: 400 }, 'request refused');
    requestLog.error('and again');
    expect(made).toBe(1);
    expect(lines.map((l) => JSON.parse(l))).toMatchObject([
      { reqId: 'r-1', status: 400, msg: 'request refused', level: 40 },
      { reqId: 'r-1', msg: 'and again', level: 50 },
    ]);
    // Options of its own (a route's log level) make the child at once.
    lazyChildLoggerFactory(logger, { reqId: 'r-2' }, { level: 'debug' });
    expect(made).toBe(2);
  });

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

import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyChildLoggerFactory } from '../../src/http/lazy-logger.js';
import { createLogger, redactUrl } from '../../src/logger.js';

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
});

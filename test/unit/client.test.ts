import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
// Imported by the package's own name, as a user of the package would.
import { ChartboostClient, classify, judge, retryDelayMs, send, sendOnce, signChartboost } from 's2s-attribution/client';
import { startReceiver, type Receiver } from '../helpers/receiver.js';

describe('TypeScript client', () => {
  const receivers: Receiver[] = [];
  afterEach(async () => {
    for (const r of receivers.splice(0)) await r.close();
  });

  it('signs as seeds 003 and 004 define it', () => {
    const body = '{"app_id":"a"}';
    const expected = createHash('sha256').update(`action:pia\nsec\nsig\n${body}`).digest('hex');
    expect(signChartboost('pia', 'sec', 'sig', body)).toBe(expected);
    const req = new ChartboostClient({ token: 'tok', secret: 'sec', appSignature: 'sig', baseUrl: 'https://cb.example/' }).track({
      app_id: 'a',
      gaid: 'g',
      iap: { product_id: 'bag_of_gems', price: 1.99, currency: 'USD' },
    });
    expect(req.url).toBe('https://cb.example/event_service/v3/track');
    expect(req.headers['x-chartboost-token']).toBe('tok');
    expect(req.headers['x-chartboost-signature']).toBe(createHash('sha256').update(`action:pia\nsec\nsig\n${req.body}`).digest('hex'));
    expect(() => new ChartboostClient({ token: 't' }).install({ app_id: 'a', claim: 1, gaid: 'g' })).toThrow('secret and appSignature');
    const open = new ChartboostClient({ token: 't' }).open({ app_id: 'a', idfa: 'i', click_id: '' });
    expect(JSON.parse(open.body!)).toEqual({ token: 't', app_id: 'a', idfa: 'i' });
    expect(open.url).toBe('https://live.chartboost.com/api/v2/open');
  });

  it('classifies answers and backs off 5, 10, 20, 40 s with a little jitter', () => {
    expect([200, 204, 400, 403, 404, 408, 429, 500, 503, null].map(classify)).toEqual([
      'delivered', 'delivered', 'final', 'final', 'final', 'retry', 'retry', 'retry', 'retry', 'retry',
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, 5000, null, () => 0))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(1, 5000, null, () => 1)).toBe(5500);
    expect(retryDelayMs(3, 5000, 1234)).toBe(1234);
  });

  it('sends with retries until delivered, and stops at a final 4xx', async () => {
    const flaky = await startReceiver((_r, i) => ({ status: i < 2 ? 503 : 200 }));
    receivers.push(flaky);
    const client = new ChartboostClient({ token: 't', baseUrl: flaky.url });
    const seen: (number | null)[] = [];
    const result = await send(client.attributedInstall({ click_id: 'c' }), { baseDelayMs: 20, onAttempt: (a) => seen.push(a.status) });
    expect(result).toMatchObject({ outcome: 'delivered', attempts: 3 });
    expect(seen).toEqual([503, 503, 200]);

    const strict = await startReceiver(() => ({ status: 404 }));
    receivers.push(strict);
    const final = await send(new ChartboostClient({ token: 't', baseUrl: strict.url }).attributedInstall({ click_id: 'c' }), { baseDelayMs: 20 });
    expect(final).toMatchObject({ outcome: 'failed', attempts: 1 });

    const down = await send({ method: 'GET', url: 'http://127.0.0.1:1/', headers: {} }, { baseDelayMs: 20, ttlMs: 50 });
    expect(down.outcome).toBe('dead');
    expect(down.last.error).toMatch(/ECONNREFUSED|connect/i);
  });

  it('judges Chartboost v1 answers by the status in the body, which is always HTTP 200 (seed 004)', async () => {
    const v1 = new ChartboostClient({ token: 't', secret: 's', appSignature: 'a' });
    const install = v1.install({ app_id: 'a', claim: 1, gaid: 'g' });
    const answer = (status: number, body: string) => ({ status, latencyMs: 1, responseStart: body, body, error: null, retryAfterMs: null });
    expect(judge(install, answer(200, '{"status":200,"message":"ok"}'))).toBe('delivered');
    expect(judge(install, answer(200, '{"status":400,"message":"bad"}'))).toBe('final');
    expect(judge(install, answer(200, '{"status":503}'))).toBe('retry');
    // Other endpoints keep the HTTP status.
    expect(judge(v1.open({ app_id: 'a', gaid: 'g' }), answer(200, '{"status":400}'))).toBe('delivered');

    const refusing = await startReceiver((_r, i) => ({ status: 200, body: JSON.stringify({ status: i === 0 ? 500 : 401, message: 'no' }) }));
    receivers.push(refusing);
    const client = new ChartboostClient({ token: 't', secret: 's', appSignature: 'a', baseUrl: refusing.url });
    const result = await send(client.install({ app_id: 'a', claim: 1, gaid: 'g' }), { baseDelayMs: 20 });
    expect(result).toMatchObject({ outcome: 'failed', attempts: 2 });
  });

  it('never throws for a URL it cannot send, and calls it final', async () => {
    for (const url of ['http://[::1', 'http://127.0.0.1:9abc/pb', 'ftp://x.example/']) {
      const attempt = await sendOnce({ method: 'GET', url, headers: {} });
      expect(attempt).toMatchObject({ status: null });
      expect(attempt.error).toMatch(/url/i);
      expect(judge({}, attempt)).toBe('final');
    }
  });

  it('sends the path exactly as given: %2E%2E is not walked by the URL parser', async () => {
    const r = await startReceiver();
    receivers.push(r);
    const attempt = await sendOnce({ method: 'GET', url: `${r.url}/pb/%2E%2E/tail?x=%2E`, headers: {} });
    expect(attempt.status).toBe(200);
    expect(r.requests[0]!.url).toBe('/pb/%2E%2E/tail?x=%2E');
  });
});

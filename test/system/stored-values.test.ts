import fs from 'node:fs';
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { newId } from '../../src/domain/ids.js';
import { BACKENDS, type TestDatabase } from '../helpers/backends.js';
import { cliJson, startServerProcess, type ServerProcess } from '../helpers/cli.js';
import { rawSql } from '../helpers/raw-sql.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { call } from '../helpers/server.js';

/** A delivery row as the outbox writes it, inserted behind the server's back. */
function deliveryRow(postbackId: string, appId: string, url: string): [string, unknown[]] {
  const now = Date.now();
  return [
    `insert into deliveries (delivery_id, postback_id, app_id, trigger, method, url, headers, body, status, attempts,
       next_attempt_at, claimed_until, created_at, expires_at, finished_at, last_status, last_error, dedup_key)
     values ($1, $2, $3, 'install', 'GET', $4, '{}', null, 'pending', 0, $5, null, $5, $6, null, null, null, $7)`,
    [newId(now), postbackId, appId, url, now, now + 86_400_000, `hostile:${url}`],
  ];
}

/** Kilobytes of a process's peak resident set so far (Linux). */
function peakRssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]);
}

describe.each(BACKENDS)('values stored in the database cannot stop the server ($name)', (backend) => {
  const started: ServerProcess[] = [];
  const receivers: Receiver[] = [];
  const servers: http.Server[] = [];
  const envs: Record<string, string>[] = [];
  afterEach(async () => {
    for (const p of started.splice(0)) p.child.kill('SIGKILL');
    for (const r of receivers.splice(0)) await r.close();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    for (const env of envs.splice(0)) await backend.cleanup(env);
  });

  function environment(): Record<string, string> {
    const env = { ...backend.env(), S2S_ADMIN_TOKEN: 'adm', S2S_DISPATCH_POLL_MS: '50', S2S_RETRY_BASE_MS: '100' };
    envs.push(env);
    return env;
  }

  it('marks deliveries it cannot build failed, answers /click without a 5xx for a broken store URL, and keeps serving', async () => {
    const env = environment();
    const db = { env } as TestDatabase;
    const r = await startReceiver();
    receivers.push(r);
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios', '--store-url', 'https://apps.apple.com/app/id1'], env);
    await cliJson(['apps', 'configure', '--app', app.app_id, '--min-ctit', '0'], env);
    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'cb', '--name', 'c'], env);
    const token = await cliJson(['tokens', 'create', '--app', app.app_id], env);
    const postback = await cliJson(['postbacks', 'add', '--app', app.app_id, '--network', 'cb', '--format', 'url', '--url', `${r.url}/pb?u={user_id}`], env);
    // What no validation lets in today, written straight into the database.
    await rawSql(db, [
      ['update postbacks set url = $1 where postback_id = $2', ['http://127.0.0.1:9{user_id}/pb', postback.postback_id]],
      ['update apps set store_url = $1 where app_id = $2', ['http://[oops', app.app_id]],
      deliveryRow(postback.postback_id, app.app_id, 'http://[::1'),
      deliveryRow(postback.postback_id, app.app_id, 'http://127.0.0.1:9abc/pb'),
    ]);
    const server = await startServerProcess(env);
    started.push(server);
    const admin = { authorization: 'Bearer adm' };
    const log = async () => (await call(`${server.url}/admin/deliveries?app_id=${app.app_id}`, { headers: admin })).body.deliveries as any[];
    await expect.poll(async () => (await log()).map((d) => d.status), { timeout: 8000 }).toEqual(['failed', 'failed']);

    // A click on the broken store URL is stored and answered with its id, not a 500.
    const click = await fetch(`${server.url}/click?campaign_id=${campaign.campaign_id}&user_ip=198.51.100.7&user_ua=ua`, { redirect: 'manual' });
    expect(click.status).toBe(200);
    const clickId = ((await click.json()) as { id: string }).id;
    expect(clickId).toMatch(/^[0-9a-f]{24}$/);
    // An event expands the hostile template into a URL that cannot be sent: failed too.
    const event = await call(`${server.url}/s2sevent?token=${token.token}&user_id=u-7&user_ip=198.51.100.7&user_ua=ua&event_id=signup`);
    expect(event.status).toBeLessThan(300);
    await expect.poll(async () => (await log()).map((d) => `${d.trigger}:${d.status}`), { timeout: 8000 }).toEqual(['install:failed', 'install:failed', 'install:failed']);
    for (const d of await log()) {
      expect(d.last_error, d.url).toMatch(/url/i);
      expect(d.attempts).toBe(1);
    }
    // Two poll periods later it still serves, and has not exited.
    await new Promise((res) => setTimeout(res, 150));
    expect((await call(`${server.url}/healthz`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
    expect(r.requests).toEqual([]);
  });

  it('reads a partner answer only up to 64 KB: a 100 MB answer leaves the peak RSS under 250 MB, and the attempt is recorded', async () => {
    const env = environment();
    let sent = 0;
    const chunk = Buffer.alloc(1 << 20, 'x');
    const flood = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(100 << 20) });
      const pump = (): void => {
        while (sent < 100 && !res.destroyed) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    servers.push(flood);
    await new Promise<void>((resolve) => flood.listen(0, '127.0.0.1', resolve));
    const floodUrl = `http://127.0.0.1:${(flood.address() as { port: number }).port}`;
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
    const token = await cliJson(['tokens', 'create', '--app', app.app_id], env);
    await cliJson(['postbacks', 'add', '--app', app.app_id, '--network', 'cb', '--format', 'chartboost-v2', '--url', floodUrl, '--token', 't', '--events', 'open'], env);
    const server = await startServerProcess(env);
    started.push(server);
    const before = peakRssKb(server.child.pid!);
    await call(`${server.url}/api/v2/open?token=${token.token}&app_id=${app.app_id}&gaid=flood-1`);
    const admin = { authorization: 'Bearer adm' };
    await expect
      .poll(async () => (await call(`${server.url}/admin/deliveries?app_id=${app.app_id}`, { headers: admin })).body.deliveries[0]?.status, { timeout: 15_000 })
      .toBe('delivered');
    const peak = peakRssKb(server.child.pid!);
    expect(peak, `peak RSS ${peak} kB, ${before} kB before`).toBeLessThan(250 * 1024);
    const [d] = (await call(`${server.url}/admin/deliveries?app_id=${app.app_id}`, { headers: admin })).body.deliveries;
    const detail = await call(`${server.url}/admin/deliveries/${d.delivery_id}`, { headers: admin });
    expect(detail.body.attempts_log).toEqual([expect.objectContaining({ status_code: 200, response_start: 'x'.repeat(500) })]);
    // The connection was dropped long before the 100 MB were written.
    expect(sent).toBeLessThan(100);
  });
});

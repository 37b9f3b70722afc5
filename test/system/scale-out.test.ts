import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../helpers/backends.js';
import { startServerProcess, type ServerProcess } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { ADMIN_TOKEN, call } from '../helpers/server.js';

// Several server processes on one PostgreSQL: the database alone decides every race.
const postgres = BACKENDS.find((b) => b.name === 'postgres');
const USERS = 120;

interface Cluster {
  env: Record<string, string>;
  servers: ServerProcess[];
  backend: TestBackend;
}

async function startCluster(backend: TestBackend, count: number, extraArgs: string[] = []): Promise<Cluster> {
  const env = { ...backend.env(), S2S_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info', S2S_DISPATCH_POLL_MS: '50', S2S_RETRY_BASE_MS: '100' };
  const servers: ServerProcess[] = [];
  // One at a time: the first migrates, the others find the schema ready.
  for (let i = 0; i < count; i++) servers.push(await startServerProcess(env, ['serve', '--port', '0', '--host', '127.0.0.1', ...extraArgs]));
  return { env, servers, backend };
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (!cluster) return;
  for (const s of cluster.servers) s.child.kill('SIGTERM');
  await Promise.all(cluster.servers.map((s) => s.exited));
  await cluster.backend.cleanup(cluster.env);
}

/** Runs `work` over 0..n-1 with at most `width` in flight. */
async function inParallel(n: number, width: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < n) await work(next++);
  }));
}

/**
 * The same traffic, spread over the given servers: a click per user, then — at once — two
 * opens and a purchase sent twice (one transaction id) for each user.
 */
async function feed(urls: string[], receiver: Receiver) {
  const first = urls[0]!;
  const app = (await call(`${first}/admin/apps`, { admin: true, body: { name: 'race', platform: 'android' } })).body;
  // Clicks and opens come seconds apart here; the CTIT rule would call that fraud.
  expect((await call(`${first}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: { min_ctit_s: 0 } })).status).toBe(200);
  const campaign = (await call(`${first}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'unity', name: 'race', cpi: 1 } })).body;
  const token = (await call(`${first}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token;
  const template = `${receiver.url}/pb?gaid={gaid}&event={event_id}&campaign={campaign_id}`;
  const pb = await call(`${first}/admin/postbacks`, { admin: true, body: { app_id: app.app_id, network: 'unity', format: 'url', url: template, events: ['install', 'purchase'] } });
  expect(pb.status).toBe(201);
  const at = (i: number) => urls[i % urls.length]!;

  await inParallel(USERS, 20, async (i) => {
    const click = await call(`${at(i)}/click?campaign_id=${campaign.campaign_id}&no_redirect=true&gaid=race-${i}`);
    expect(click.status).toBe(200);
  });
  await inParallel(USERS, 10, async (i) => {
    // Each user's open and purchase arrive twice at once: on two processes, one copy each.
    const sends = [urls[0]!, urls[1 % urls.length]!].flatMap((url) => [
      call(`${url}/api/v2/open`, { body: { token, app_id: app.app_id, gaid: `race-${i}` } }),
      call(`${url}/postback?s2s_token=${token}&user_id=player-${i}&gaid=race-${i}&event_id=purchase&sale_amount=2&transaction_id=tx-${i}`),
    ]);
    for (const answer of await Promise.all(sends)) expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  });
  return { app, campaign };
}

describe.skipIf(!postgres)('scale-out on PostgreSQL', () => {
  let two: Cluster | undefined;
  let one: Cluster | undefined;
  let receiverTwo: Receiver;
  let receiverOne: Receiver;

  beforeAll(async () => {
    receiverTwo = await startReceiver();
    receiverOne = await startReceiver();
  });
  afterAll(async () => {
    await stopCluster(two);
    await stopCluster(one);
    await receiverTwo?.close();
    await receiverOne?.close();
  });

  it('two processes fed the same users at once: one install per user, the same report as one process, every postback once', async () => {
    two = await startCluster(postgres!, 2);
    one = await startCluster(postgres!, 1);
    const [fedTwo, fedOne] = await Promise.all([feed(two.servers.map((s) => s.url), receiverTwo), feed([one.servers[0]!.url], receiverOne)]);

    // Yesterday and today: the feed may cross midnight UTC; the schema is fresh either way.
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    const [from, to] = [day(Date.now() - 86_400_000), day(Date.now())];
    const report = async (url: string, appId: string) => {
      const body = (await call(`${url}/admin/reports?app_id=${appId}&from=${from}&to=${to}&group_by=network`, { admin: true })).body;
      return { rows: body.rows, totals: body.totals };
    };
    const reportTwo = await report(two.servers[1]!.url, fedTwo.app.app_id);
    expect(reportTwo.totals).toMatchObject({ clicks: USERS, installs: USERS, organic_installs: 0, rejected_installs: 0, opens: 2 * USERS, purchases: USERS, payers: USERS, revenue_usd: 2 * USERS });
    expect(reportTwo).toEqual(await report(one.servers[0]!.url, fedOne.app.app_id));

    // Exactly once: an install and a purchase postback per user, none twice, even while both
    // processes' dispatchers claim from the same queue.
    await receiverTwo.waitFor(2 * USERS, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const seen = receiverTwo.requests.map((r) => new URL(r.url, 'http://x').searchParams).map((q) => `${q.get('event')}:${q.get('gaid')}`);
    expect(seen.length).toBe(2 * USERS);
    expect(new Set(seen).size).toBe(2 * USERS);
    expect(seen.filter((s) => s.startsWith('install:')).length).toBe(USERS);
  }, 120_000);

  it('s2s serve --workers 2 shares one port between two processes and stops them together', async () => {
    const env = { ...postgres!.env(), S2S_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info' };
    const server = await startServerProcess(env, ['serve', '--port', '0', '--host', '127.0.0.1', '--workers', '2']);
    try {
      await expect.poll(() => server.output.filter((l) => l.includes('Server listening at')).length, { timeout: 15_000 }).toBe(2);
      const ports = new Set(server.output.filter((l) => l.includes('Server listening at')).map((l) => /:(\d+)"?/.exec(l.split('listening at')[1]!)?.[1]));
      expect(ports.size).toBe(1);
      const pids = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${server.url}/healthz`, { headers: { connection: 'close' } });
        pids.add(String(((await res.json()) as { pid: number }).pid));
      }
      expect(pids.size).toBe(2);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      expect(server.output.some((l) => l.includes('stopped cleanly'))).toBe(true);
    } finally {
      server.child.kill('SIGKILL');
      await postgres!.cleanup(env);
    }
  }, 60_000);

  it('refuses --workers above 1 on SQLite', async () => {
    const { runCli } = await import('../helpers/cli.js');
    const result = await runCli(['serve', '--workers', '2'], { DATA_DIR: '/tmp/s2s-never-created' });
    expect(result).toMatchObject({ code: 1, stderr: 'error: --workers (S2S_WORKERS): SQLite has a single writer, so it runs one worker; use PostgreSQL (DATABASE_URL) for more\n' });
  });
});

/**
 * `npm run bench`: loads a bare node:http baseline and the product on loopback with autocannon
 * (50 connections, warm-up, BENCH_DURATION seconds × BENCH_REPS repetitions, median), and
 * reports requests/s, p50, p99, the ratio to the baseline, the server's peak RSS and rows
 * stored against 200s. Writes bench/results/latest.json (partial.json under BENCH_ONLY) and prints a table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { signChartboost } from '../src/protocols/chartboost/signature.js';
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/storage/db.js';
import { newId } from '../src/domain/ids.js';
import type { Touchpoint } from '../src/domain/entities.js';
import type { Store } from '../src/storage/store.js';
import pg_ from 'pg';
import { comparisonList, describeRun, scenarioTable, type Comparisons, type LoadRun, type ScenarioResult } from './results-markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const REPS = Number(process.env.BENCH_REPS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const CONNECTIONS = 50;
/**
 * Seconds of baseline load right before each repetition of each scenario: this machine's speed
 * drifts by half within minutes, so each ratio is taken against the baseline measured next to it.
 */
const PAIRED_BASELINE_S = Number(process.env.BENCH_PAIRED_BASELINE_S ?? 3);
const HISTORY_SIZES = [10_000, 1_000_000];
/** Network names ad revenue rotates through, as MAX reports them. */
const AD_NETWORKS = ['APPLOVIN_BIDDING', 'ADMOB_BIDDING', 'UNITY_BIDDING', 'IRONSOURCE_NETWORK'];
/** Apple's SKAdNetwork 4.0 example postback (developer.apple.com, "Verifying an install-validation postback"). */
const SKAN_EXAMPLE = {
  version: '4.0', 'ad-network-id': 'com.example', 'source-identifier': '5239', 'app-id': 525463029, 'transaction-id': '6aafb7a5-0170-41b5-bbe4-fe71dedf1e30',
  redownload: false, 'source-domain': 'example.com', 'fidelity-type': 1, 'did-win': true, 'conversion-value': 63, 'postback-sequence-index': 0,
  'attribution-signature': 'MEUCIGRmSMrqedNu6uaHyhVcifs118R5z/AB6cvRaKrRRHWRAiEAv96ne3dKQ5kJpbsfk4eYiePmrZUU6sQmo+7zfP/1Bxo=',
};
const PG_HISTORY_SIZES = [10_000, Number(process.env.BENCH_PG_HISTORY ?? 10_000_000)].filter((n) => n > 0);
/** PostgreSQL for the workers comparison; BENCH_PG_URL='' skips it. */
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ONLY = process.env.BENCH_ONLY;
/**
 * Node flags for the product's process: those `npm start` gives it (the product as the README
 * starts it), then BENCH_NODE_ARGS, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof'.
 */
const START_ARGS = (/^node((?: --[^ ]+)*) /.exec(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start)?.[1] ?? '').split(' ').filter(Boolean);
const NODE_ARGS = [...START_ARGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
// A leading ^ anchors the name (`^POST /api/v2/open` leaves out the PostgreSQL rows).
const selected = (name: string): boolean => !ONLY || (ONLY.startsWith('^') ? name.startsWith(ONLY.slice(1)) : name.includes(ONLY));
const ADMIN = 'bench-admin';

interface Proc {
  child: ChildProcess;
  url: string;
}

/** Every process the bench started: killed when it exits, so a failed run leaves none behind. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function startProcess(args: string[], env: Record<string, string>, pattern: RegExp): Promise<Proc> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = pattern.exec(String(d));
      if (m) resolve(`http://127.0.0.1:${m[1]}`);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    // The product announces its port at log level info; a quieter BENCH_LOG_LEVEL never does.
    setTimeout(() => reject(new Error(`node ${args.join(' ')}: no "${pattern.source}" on stdout within 60 s (is BENCH_LOG_LEVEL above info?)`)), 60_000).unref();
  });
  return { child, url };
}

/** `s2s serve` on a free port, and a helper that POSTs to its admin API. */
async function startProduct(env: Record<string, string>): Promise<Proc & { admin: (path: string, body: unknown) => Promise<any> }> {
  const proc = await startProcess([...NODE_ARGS, path.join(ROOT, 'dist/cli/main.js'), 'serve', '--port', '0', '--host', '127.0.0.1'], env, /Server listening at http:\/\/127\.0\.0\.1:(\d+)/);
  const admin = async (p: string, body: unknown) =>
    (await fetch(`${proc.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<any>;
  return { ...proc, admin };
}

/** A process and its children (the workers of `s2s serve --workers N`), all the way down. */
function processTree(pid: number): number[] {
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
    return [pid, ...children.flatMap(processTree)];
  } catch {
    return [];
  }
}

/** Sums a figure read from /proc over a process tree; a process gone meanwhile counts 0. */
function sumOverTree(pid: number, read: (pid: number) => number): number {
  return processTree(pid).reduce((sum, p) => {
    try {
      return sum + read(p);
    } catch {
      return sum;
    }
  }, 0);
}

/** RSS of a process and its children, in MB. */
function rssMb(pid: number): number {
  return sumOverTree(pid, (p) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0) / 1024);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * CPU seconds (user and system, all threads) a process and its children have used so far. On
 * this VM it moves with the machine's load as requests/s do (docs/performance.md): a cost to
 * read beside the ratios, not a replacement for them.
 */
function cpuSeconds(pid: number): number {
  return sumOverTree(pid, (p) => {
    const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  });
}

/**
 * CPU seconds every `postgres` process on the machine has used so far (the server's backends,
 * its WAL writer and checkpointer): what a PostgreSQL scenario costs beyond our own process.
 * Backends that exit meanwhile drop out, so it is read around loads that keep their connections.
 */
function postgresCpuSeconds(): number {
  let sum = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== 'postgres') continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      // gone meanwhile
    }
  }
  return sum;
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  /** Builds each request: a fresh device or id every time. */
  request: (n: number) => { path: string; body?: string; headers?: Record<string, string> };
  /** Rows that must exist for the 200s counted. */
  stored?: () => Promise<number>;
  /**
   * Records each request carries (default 1). The baseline parses one record per request, so a
   * batch endpoint is compared with it by records per second.
   */
  recordsPerRequest?: number;
  /** Also report PostgreSQL's CPU per request (postgresCpuSeconds). */
  postgres?: boolean;
}

/** Request counter across warm-up and repetitions, so each request names a new device. */
let n = 0;

async function load(url: string, scenario: Scenario, seconds: number, pid: number): Promise<{ rps: number; p50: number; p99: number; non2xx: number; ok: number; rss: number; cpuUs: number; dbCpuUs: number }> {
  let rss = 0;
  const cpuBefore = cpuSeconds(pid);
  const dbCpuBefore = scenario.postgres ? postgresCpuSeconds() : 0;
  const sampler = setInterval(() => (rss = Math.max(rss, rssMb(pid))), 250);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: scenario.method,
        setupRequest: (req) => {
          const r = scenario.request(n++);
          return { ...req, path: r.path, method: scenario.method, body: r.body ?? '', headers: { 'content-type': 'application/json', ...r.headers } };
        },
      },
    ],
  });
  clearInterval(sampler);
  rss = Math.max(rss, rssMb(pid));
  const answered = result['2xx'] + result.non2xx;
  const cpuUs = answered > 0 ? ((cpuSeconds(pid) - cpuBefore) * 1e6) / answered : 0;
  const dbCpuUs = scenario.postgres && answered > 0 ? ((postgresCpuSeconds() - dbCpuBefore) * 1e6) / answered : 0;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, ok: result['2xx'], rss, cpuUs, dbCpuUs };
}

const median = <T>(xs: T[], key: (x: T) => number) => xs.map(key).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;
/** Ratios keep three significant digits: PostgreSQL's are near 0.04, where two decimals lose a quarter. */
const ratio3 = (x: number) => Number(x.toPrecision(3));

/** Measures the baseline for a few seconds: paired with each repetition of a scenario. */
type PairedBaseline = () => Promise<number>;

async function measure(url: string, scenario: Scenario, pid: number, paired?: PairedBaseline): Promise<Omit<ScenarioResult, 'rows_stored'>> {
  // The warm-up's rows count as stored too: rows_stored is checked against all 200s.
  const warm = WARMUP > 0 ? (await load(url, scenario, WARMUP, pid)).ok : 0;
  const runs = [];
  for (let i = 0; i < REPS; i++) {
    const base = paired ? await paired() : null;
    runs.push({ ...(await load(url, scenario, DURATION, pid)), base });
  }
  const perRecord = scenario.recordsPerRequest ?? 1;
  const pairs = runs.filter((r) => r.base !== null).map((r) => ({ ratio: (r.rps * perRecord) / r.base!, base: r.base! }));
  console.error(`${scenario.name}: ${runs.map((r) => `${Math.round(r.rps)}${r.base === null ? '' : ` (baseline ${Math.round(r.base)})`}`).join(', ')} req/s`);
  return {
    ratio_to_baseline: pairs.length > 0 ? ratio3(median(pairs, (p) => p.ratio)) : null,
    ...(pairs.length > 0 ? { paired_baseline_req_s: Math.round(median(pairs, (p) => p.base)) } : {}),
    scenario: scenario.name,
    requests_per_s: Math.round(median(runs, (r) => r.rps)),
    records_per_s: Math.round(median(runs, (r) => r.rps) * (scenario.recordsPerRequest ?? 1)),
    p50_ms: median(runs, (r) => r.p50),
    p99_ms: median(runs, (r) => r.p99),
    non_2xx: runs.reduce((a, r) => a + r.non2xx, 0),
    ok_responses: median(runs, (r) => r.ok),
    peak_rss_mb: Math.round(Math.max(...runs.map((r) => r.rss))),
    cpu_us_per_request: Math.round(median(runs, (r) => r.cpuUs)),
    ...(scenario.postgres ? { db_cpu_us_per_request: Math.round(median(runs, (r) => r.dbCpuUs)) } : {}),
    ok_total: warm + runs.reduce((a, r) => a + r.ok, 0),
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-bench-'));
  const env: Record<string, string> = { DATA_DIR: dataDir, S2S_ADMIN_TOKEN: ADMIN, LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info' };
  // Server settings to compare (e.g. BENCH_SERVER_ENV='S2S_SQLITE_SYNCHRONOUS=NORMAL').
  for (const pair of (process.env.BENCH_SERVER_ENV ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const results: ScenarioResult[] = [];

  // The baseline stays up: it is measured again before each repetition of each scenario.
  const baseline = await startProcess([path.join(ROOT, 'bench/baseline-server.mjs')], {}, /listening (\d+)/);
  const baselineScenario: Scenario = { name: 'bare node:http (baseline)', method: 'POST', request: () => ({ path: '/', body: '{"app_id":"x","gaid":"y"}' }) };
  const base = await measure(baseline.url, baselineScenario, baseline.child.pid!);
  results.push({ ...base, ratio_to_baseline: 1, rows_stored: null });
  const paired: PairedBaseline | undefined =
    PAIRED_BASELINE_S > 0 ? async () => (await load(baseline.url, baselineScenario, PAIRED_BASELINE_S, baseline.child.pid!)).rps : undefined;
  /** A scenario's ratio: paired with nearby baselines, else against the run's first one. */
  const ratioOf = (m: Omit<ScenarioResult, 'rows_stored'>) => m.ratio_to_baseline ?? ratio3(m.records_per_s / base.records_per_s);

  const server = await startProduct(env);
  const admin = server.admin;
  const app = await admin('/admin/apps', { name: 'bench', platform: 'android' });
  const pcApp = await admin('/admin/apps', { name: 'bench-pc', platform: 'pc' });
  const campaign = await admin('/admin/campaigns', { app_id: app.app_id, network: 'chartboost', name: 'c' });
  const token = await admin('/admin/tokens', { app_ids: [app.app_id], secret: true });
  const pcToken = await admin('/admin/tokens', { app_ids: [pcApp.app_id] });
  const store = openStore(loadConfig(env));
  const run = Date.now().toString(36);
  const adjustAppToken = `bench${run}`.slice(0, 64);
  await fetch(`${server.url}/admin/apps/${app.app_id}/aliases`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 'adjust', app: adjustAppToken, events: { f0ob4r: 'purchase' } }),
  });
  // An app with a retargeting campaign: every later sighting of a known user looks up the clicks
  // since its last one (docs/attribution.md, re-engagement).
  const rtApp = await admin('/admin/apps', { name: 'bench-retargeting', platform: 'android' });
  await admin('/admin/campaigns', { app_id: rtApp.app_id, network: 'liftoff', name: 'win-back', kind: 'retargeting' });
  const rtToken = await admin('/admin/tokens', { app_ids: [rtApp.app_id] });
  const rtAdjustToken = `rt${run}`.slice(0, 64);
  // Apple's copies of SKAdNetwork postbacks name the app by its App Store id.
  await fetch(`${server.url}/admin/apps/${app.app_id}/aliases`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 'apple', app: '525463029' }),
  });
  await fetch(`${server.url}/admin/apps/${rtApp.app_id}/aliases`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ protocol: 'adjust', app: rtAdjustToken }),
  });

  // An app whose every record goes to a webhook (docs/webhooks.md): another bare node:http
  // process stands in for the studio's warehouse, so the dispatcher's sends are part of the cost.
  const warehouse = await startProcess([path.join(ROOT, 'bench/baseline-server.mjs')], {}, /listening (\d+)/);
  const hookApp = await admin('/admin/apps', { name: 'bench-webhook', platform: 'android' });
  await admin('/admin/webhooks', { app_id: hookApp.app_id, url: `${warehouse.url}/s2s`, batch_size: 100 });
  const hookToken = await admin('/admin/tokens', { app_ids: [hookApp.app_id] });

  const scenarios: Scenario[] = [
    {
      name: 'POST /api/v2/open (new device each)',
      method: 'POST',
      request: (n) => ({ path: '/api/v2/open', body: JSON.stringify({ token: token.token, app_id: app.app_id, gaid: `po-${run}-${n}` }) }),
      stored: async () => (await store.listKnownDevices(app.app_id)).filter((d) => d.value.startsWith(`po-${run}`)).length,
    },
    {
      name: 'GET /api/v2/open (new device each)',
      method: 'GET',
      request: (n) => ({ path: `/api/v2/open?token=${token.token}&app_id=${app.app_id}&gaid=go-${run}-${n}` }),
    },
    {
      name: 'POST /event_service/v3/track (signed)',
      method: 'POST',
      request: (n) => {
        const body = JSON.stringify({ app_id: app.app_id, gaid: `tr-${run}-${n % 1000}`, iap: { product_id: 'gems', price: 1.99, currency: 'USD' } });
        return { path: '/event_service/v3/track', body, headers: { 'x-chartboost-token': token.token, 'x-chartboost-signature': signChartboost('pia', token.secret, app.app_signature, body) } };
      },
    },
    {
      name: 'GET /click?no_redirect=true',
      method: 'GET',
      request: (n) => ({ path: `/click?campaign_id=${campaign.campaign_id}&no_redirect=true&gaid=ck-${run}-${n}&user_ip=10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}&user_ua=UA` }),
    },
    {
      name: '/s2sevent (attribution vs stored clicks)',
      method: 'GET',
      request: (n) => ({ path: `/s2sevent?token=${token.token}&user_id=s2s-${run}-${n}&user_ip=10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}&user_ua=UA&event_id=__open` }),
    },
    {
      name: 'GET /event (Adjust S2S, new device each)',
      method: 'GET',
      request: (n) => ({
        path: `/event?s2s=1&app_token=${adjustAppToken}&event_token=f0ob4r&gps_adid=ad-${run}-${n}&revenue=0.99&currency=EUR&ip_address=10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        headers: { authorization: `Bearer ${token.token}` },
      }),
    },
    {
      // Impression-level ad revenue as mediation sends it: many small amounts for the same
      // players (1 000 devices), each a returning user after its first.
      name: 'GET /ad_revenue (Adjust S2S, an impression each, 1 000 devices)',
      method: 'GET',
      request: (n) => ({
        path: `/ad_revenue?s2s=1&app_token=${adjustAppToken}&source=publisher&gps_adid=adr-${run}-${n % 1000}&revenue=0.00${(n % 9) + 1}&currency=USD&ad_impressions_count=1&ad_revenue_network=${AD_NETWORKS[n % AD_NETWORKS.length]}&ad_revenue_unit=rewarded&ad_revenue_placement=level_end`,
        headers: { authorization: `Bearer ${token.token}` },
      }),
    },
    {
      // The same players' sessions on an app with a retargeting campaign: each after the first
      // is a known user's sighting that may be a re-engagement, so it looks up clicks.
      name: 'GET /session (Adjust S2S, 1 000 devices, app with a retargeting campaign)',
      method: 'GET',
      request: (n) => ({
        path: `/session?s2s=1&app_token=${rtAdjustToken}&gps_adid=rs-${run}-${n % 1000}&ip_address=10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        headers: { authorization: `Bearer ${rtToken.token}` },
      }),
    },
    {
      name: 'POST /inappevent/{app_id} (AppsFlyer S2S, new device each)',
      method: 'POST',
      request: (n) => ({
        path: `/inappevent/${app.app_id}`,
        headers: { authentication: token.token },
        body: JSON.stringify({ appsflyer_id: `${run}-${n}`, advertising_id: `af-${run}-${n}`, eventName: 'af_purchase', eventValue: '{"af_revenue":"0.99"}', eventCurrency: 'USD', ip: '10.1.2.3' }),
      }),
    },
    {
      name: 'GET /ad_revenue/max (MAX impression postback, 1 000 devices)',
      method: 'GET',
      request: (n) => ({
        path: `/ad_revenue/max?token=${token.token}&event_id=${run}${n.toString(16).padStart(32, '0')}&revenue=0.000${(n % 9) + 1}2&ts=${Math.floor(Date.now() / 1000)}&idfa=${(n % 1000).toString(16).padStart(8, '0')}-0000-4000-8000-${run.padStart(12, '0').slice(-12)}&network=${AD_NETWORKS[n % AD_NETWORKS.length]}&ad_unit_id=9ad0816ac071552a&placement=level_end&ad_format=REWARDED&country=GB`,
      }),
    },
    {
      // Apple's 4.0 example with a new transaction each: parsed, its ECDSA signature checked
      // (invalid, since the transaction changed), stored once.
      name: 'POST /.well-known/skadnetwork/report-attribution/ (SKAdNetwork 4.0)',
      method: 'POST',
      request: (n) => ({
        path: '/.well-known/skadnetwork/report-attribution/',
        body: JSON.stringify({ ...SKAN_EXAMPLE, 'transaction-id': `${run}-${n}` }),
      }),
    },
    {
      name: 'POST /api/v2/open (new device each, every record to a webhook, 100 a request)',
      method: 'POST',
      request: (n) => ({ path: '/api/v2/open', body: JSON.stringify({ token: hookToken.token, app_id: hookApp.app_id, gaid: `wh-${run}-${n}` }) }),
    },
    {
      name: 'POST /measure (batches of 100)',
      method: 'POST',
      recordsPerRequest: 100,
      request: (n) => ({
        path: '/measure',
        headers: { authorization: `Bearer ${pcToken.token}` },
        body: JSON.stringify(
          Array.from({ length: 100 }, (_, i) => ({ user_id: `m-${run}-${n}-${i % 10}`, event_name: i % 10 === 0 ? 'game_open' : 'level_up', ip: '192.0.2.1', time_stamp: Math.floor(Date.now() / 1000), platform: 'pc', storefront: 'steam' })),
        ),
      }),
    },
  ];
  // Attribution against history: one app with 10 thousand stored clicks, one with 1 million;
  // each request is a new user whose IP matches one of the app's clicks.
  for (const clicks of HISTORY_SIZES) {
    const historyApp = await admin('/admin/apps', { name: `history-${clicks}`, platform: 'android' });
    const historyCampaign = await admin('/admin/campaigns', { app_id: historyApp.app_id, network: 'chartboost', name: 'h' });
    const historyToken = await admin('/admin/tokens', { app_ids: [historyApp.app_id] });
    const name = `/s2sevent vs ${clicks.toLocaleString('en')} stored clicks`;
    if (!selected(name)) continue;
    await seedClicks(store, historyApp.app_id, historyCampaign.campaign_id, clicks);
    scenarios.push({
      name,
      method: 'GET',
      request: (n) => {
        const i = (n * 7919) % clicks;
        return { path: `/s2sevent?token=${historyToken.token}&user_id=h-${run}-${n}&user_ip=${seededIp(i)}&user_ua=UA&event_id=__open` };
      },
    });
  }

  for (const scenario of scenarios.filter((s) => selected(s.name))) {
    const m = await measure(server.url, scenario, server.child.pid!, paired);
    const rows = scenario.stored ? await scenario.stored() : null;
    results.push({ ...m, ratio_to_baseline: ratioOf(m), rows_stored: rows });
    if (rows !== null && rows < m.ok_total) throw new Error(`${scenario.name}: ${m.ok_total} answered 200 but ${rows} stored`);
  }
  server.child.kill('SIGTERM');
  await new Promise((resolve) => server.child.once('exit', resolve));
  warehouse.child.kill('SIGTERM');

  await store.close();

  // PostgreSQL, 1 and 2 worker processes (s2s serve --workers N), same open scenario.
  if (PG_URL && selected('PostgreSQL')) {
    for (const workers of [1, 2]) {
      const schema = `s2s_bench_${run}_${workers}`;
      const pgEnv = { ...env, DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, S2S_WORKERS: String(workers) };
      const pg = await startProduct(pgEnv);
      await new Promise((resolve) => setTimeout(resolve, 1000)); // every worker listening
      const post = pg.admin;
      const pgApp = await post('/admin/apps', { name: 'bench', platform: 'android' });
      const pgToken = await post('/admin/tokens', { app_ids: [pgApp.app_id] });
      const pgStore = openStore(loadConfig(pgEnv));
      const scenario: Scenario = {
        name: `PostgreSQL, ${workers} worker${workers > 1 ? 's' : ''}: POST /api/v2/open`,
        method: 'POST',
        postgres: true,
        request: (n) => ({ path: '/api/v2/open', body: JSON.stringify({ token: pgToken.token, app_id: pgApp.app_id, gaid: `pg-${run}-${n}` }) }),
        stored: async () => (await pgStore.listKnownDevices(pgApp.app_id)).length,
      };
      const m = await measure(pg.url, scenario, pg.child.pid!, paired);
      const rows = await scenario.stored!();
      results.push({ ...m, ratio_to_baseline: ratioOf(m), rows_stored: rows });
      if (rows < m.ok_total) throw new Error(`${scenario.name}: ${m.ok_total} answered 200 but ${rows} stored`);
      await pgStore.close();
      pg.child.kill('SIGTERM');
      await new Promise((resolve) => pg.child.once('exit', resolve));
      const client = new pg_.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists "${schema}" cascade`);
      await client.end();
    }
  }

  // PostgreSQL, monthly partitions: /s2sevent against 10 thousand and 10 million stored
  // clicks spread over 400 days (seeded by SQL inside PostgreSQL, which takes a minute or two).
  if (PG_URL && selected('PostgreSQL history')) {
    const schema = `s2s_bench_${run}_history`;
    const pgEnv = { ...env, DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, S2S_WORKERS: '1' };
    const server = await startProduct(pgEnv);
    const post = server.admin;
    const pgStore = openStore(loadConfig(pgEnv));
    for (let m = 0; m <= 14; m++) await pgStore.ensurePartitions(Date.now() - m * 30 * 86_400_000);
    await pgStore.close();
    const client = new pg_.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await client.connect();
    for (const [i, clicks] of PG_HISTORY_SIZES.entries()) {
      const app = await post('/admin/apps', { name: `history-${clicks}`, platform: 'android' });
      const campaign = await post('/admin/campaigns', { app_id: app.app_id, network: 'chartboost', name: 'h' });
      const token = await post('/admin/tokens', { app_ids: [app.app_id] });
      const started = Date.now();
      const spacing = Math.floor((400 * 86_400_000) / clicks);
      await client.query(
        `insert into touchpoints (touchpoint_id, kind, app_id, campaign_id, network, created_at, ip, user_agent, gaid, platform)
         select $1 || lpad(to_hex(g), 23, '0'), 'click', $2, $3, 'chartboost', $4::bigint - ($5::bigint - g) * $6::bigint,
                '10.' || ((g >> 16) & 255) || '.' || ((g >> 8) & 255) || '.' || (g & 255), 'UA', 'seed-' || g, 'android'
         from generate_series(0, $5::bigint - 1) g`,
        [String(i), app.app_id, campaign.campaign_id, Date.now() - 3_600_000, clicks, spacing],
      );
      await client.query('analyze touchpoints');
      console.error(`PostgreSQL: seeded ${clicks} clicks over 400 days in ${Math.round((Date.now() - started) / 1000)} s`);
      const recent = Math.min(clicks, 10_000);
      const scenario: Scenario = {
        name: `PostgreSQL history: /s2sevent vs ${clicks.toLocaleString('en')} stored clicks`,
        method: 'GET',
        postgres: true,
        request: (n) => {
          const g = clicks - recent + ((n * 7919) % recent);
          return { path: `/s2sevent?token=${token.token}&user_id=ph-${run}-${n}&user_ip=${seededIp(g)}&user_ua=UA&event_id=__open` };
        },
      };
      const m = await measure(server.url, scenario, server.child.pid!, paired);
      results.push({ ...m, ratio_to_baseline: ratioOf(m), rows_stored: null });
    }
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.end();
  }

  // Compared by their ratios to the baseline, which take out the machine's drift between them;
  // on SQLite also by the server's CPU per conversion (on PostgreSQL the lookups run in
  // PostgreSQL's processes, which that does not count).
  const find = (prefix: string) => results.find((r) => r.scenario.startsWith(prefix));
  const history = HISTORY_SIZES.map((c) => find(`/s2sevent vs ${c.toLocaleString('en')}`));
  const pgHistory = PG_HISTORY_SIZES.map((c) => find(`PostgreSQL history: /s2sevent vs ${c.toLocaleString('en')}`));
  const pgRuns = [1, 2].map((w) => find(`PostgreSQL, ${w} worker`));
  const over = (a: number | null | undefined, b: number | null | undefined) => (a && b ? round2(b / a) : null);
  const comparisons: Comparisons = {
    s2sevent_1m_over_10k: over(history[0]?.ratio_to_baseline, history[1]?.ratio_to_baseline),
    postgres_s2sevent_10m_over_10k: over(pgHistory[0]?.ratio_to_baseline, pgHistory[1]?.ratio_to_baseline),
    s2sevent_cpu_per_request_1m_over_10k: over(history[0]?.cpu_us_per_request, history[1]?.cpu_us_per_request),
    postgres_2_workers_over_1: over(pgRuns[0]?.ratio_to_baseline, pgRuns[1]?.ratio_to_baseline),
  };
  const report: LoadRun = {
    ...describeRun(),
    settings: { duration_s: DURATION, repetitions: REPS, warmup_s: WARMUP, connections: CONNECTIONS, node_args: NODE_ARGS, database: 'sqlite (WAL, synchronous=FULL: each batch answered after its WAL fdatasync)' },
    results: results.map(({ ...r }) => r),
    comparisons,
  };
  // A run of some scenarios (BENCH_ONLY) does not replace the full table docs/performance.md shows.
  const out = ONLY ? 'bench/results/partial.json' : 'bench/results/latest.json';
  fs.writeFileSync(path.join(ROOT, out), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${scenarioTable(results)}\n\n${comparisonList(comparisons)}`);
  baseline.child.kill('SIGTERM');
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/** Clicks of a seeded history: a distinct IP and device each. */
function seededIp(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

async function seedClicks(store: Store, appId: string, campaignId: string, count: number): Promise<void> {
  const started = Date.now();
  const now = Date.now();
  const CHUNK = 5000;
  for (let from = 0; from < count; from += CHUNK) {
    const rows: Touchpoint[] = [];
    for (let i = from; i < Math.min(count, from + CHUNK); i++) {
      rows.push({
        touchpoint_id: newId(now - 3_600_000 - (count - i) * 10),
        kind: 'click', app_id: appId, campaign_id: campaignId, network: 'chartboost',
        created_at: now - 3_600_000 - (count - i) * 10,
        ip: seededIp(i), user_agent: 'UA', idfa: null, gaid: `seed-${appId}-${i}`, uuid: null, fire_adid: null,
        platform: 'android', storefront: null, site_id: null, publisher: null, creative: null, network_click_id: null,
        sub1: null, sub2: null, sub3: null, sub4: null, sub5: null,
      });
    }
    await store.transaction((tx) => tx.insertTouchpoints(rows));
  }
  console.error(`seeded ${count} clicks in ${Math.round((Date.now() - started) / 1000)} s`);
}

await main();

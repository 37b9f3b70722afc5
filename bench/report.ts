/**
 * `npm run bench` (second part): how fast reports answer over a large history. Seeds an SQLite
 * database with BENCH_REPORT_EVENTS events (default 10 million) from BENCH_REPORT_USERS users
 * (default 500 000) over 90 days, with the per-install summaries ingest keeps (computed here as
 * ingest would), then times the report API's operations (median of 5) and shows SQLite's plan.
 * Writes bench/results/report.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import SqliteDatabase from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import type { Campaign } from '../src/domain/apps.js';
import { DAY_MS, activityBit, dayNumber, formatDay } from '../src/domain/metrics.js';
import { newId } from '../src/domain/ids.js';
import { buildCohorts, buildReport } from '../src/reports/report.js';
import { openStore } from '../src/storage/db.js';
import { describeRun, reportTable, type ReportRun } from './results-markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EVENTS = Number(process.env.BENCH_REPORT_EVENTS ?? 10_000_000);
const USERS = Number(process.env.BENCH_REPORT_USERS ?? 500_000);
const DAYS = 90;
const CAMPAIGNS = 20;

/** A small deterministic generator, so runs compare. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function time<T>(work: () => Promise<T>, reps = 5): Promise<{ median_ms: number; result: T }> {
  const times: number[] = [];
  let result!: T;
  for (let i = 0; i < reps; i++) {
    const started = process.hrtime.bigint();
    result = await work();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median_ms: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10, result };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-bench-report-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  const store = openStore(config);
  await store.migrate();
  const app = await store.createApp({ name: 'bench', platform: 'android', store: 'google_play', store_url: null });
  const campaigns: Campaign[] = [];
  for (let c = 0; c < CAMPAIGNS; c++) {
    campaigns.push(await store.createCampaign({ app_id: app.app_id, network: `net${c % 5}`, name: `campaign ${c}`, cpi: 0.5 + c / 10, click_window_s: null, view_window_s: null, probabilistic_window_s: null }));
  }
  await store.close();

  // Seed with one connection, outside the server, as ingest would have stored it.
  const seedStarted = Date.now();
  const db = new SqliteDatabase(path.join(dataDir, 's2s.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const today = dayNumber(Date.now());
  const firstDay = today - DAYS;
  const rnd = random(42);
  const insertUser = db.prepare('INSERT INTO users (user_pk, app_id, created_at, last_seen_at) VALUES (?, ?, ?, ?)');
  const insertIdentity = db.prepare("INSERT INTO user_identities (app_id, kind, value, user_pk) VALUES (?, 'gaid', ?, ?)");
  const insertInstall = db.prepare(
    `INSERT INTO installs (install_id, app_id, user_pk, kind, installed_at, status, match_type, campaign_id, network, source, opens, purchases, unpriced_purchases, revenue_usd, active_days)
     VALUES (?, ?, ?, 'install', ?, ?, ?, ?, ?, 'bench', ?, ?, 0, ?, ?)`,
  );
  const insertEvent = db.prepare(
    `INSERT INTO events (event_pk, app_id, user_pk, kind, name, occurred_at, received_at, revenue, currency, revenue_usd, source)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'bench')`,
  );
  const touches = new Map<string, number>();
  const perUser = EVENTS / USERS;
  let events = 0;
  const seedUsers = db.transaction((from: number, to: number) => {
    for (let u = from; u < to; u++) {
      const installedAt = (firstDay + Math.floor(rnd() * DAYS)) * DAY_MS + Math.floor(rnd() * DAY_MS);
      const roll = rnd();
      const status = roll < 0.7 ? 'attributed' : roll < 0.95 ? 'organic' : 'rejected';
      const campaign = status === 'organic' ? null : campaigns[Math.floor(rnd() * CAMPAIGNS)]!;
      const userPk = newId(installedAt);
      const payer = rnd() < 0.05;
      const count = Math.round(perUser * (u + 1)) - Math.round(perUser * u);
      let opens = 0;
      let purchases = 0;
      let revenue = 0;
      let activeDays = 0;
      let lastSeen = installedAt;
      for (let e = 0; e < count; e++) {
        const dayAfter = e === 0 ? 0 : Math.floor(rnd() * rnd() * 60);
        const at = Math.min(installedAt + dayAfter * DAY_MS + Math.floor(rnd() * 3_600_000), Date.now());
        const purchase = payer && e % 7 === 3;
        const price = purchase ? [0.99, 4.99, 9.99][e % 3]! : null;
        insertEvent.run(newId(at), app.app_id, userPk, purchase ? 'purchase' : 'open', purchase ? 'purchase' : 'open', at, at, price, purchase ? 'USD' : null, price);
        if (purchase) {
          purchases++;
          revenue += price!;
        } else {
          opens++;
          activeDays |= activityBit(dayNumber(at) - dayNumber(installedAt));
        }
        lastSeen = Math.max(lastSeen, at);
        events++;
      }
      insertUser.run(userPk, app.app_id, installedAt, lastSeen);
      insertIdentity.run(app.app_id, `bench-${u}`, userPk);
      insertInstall.run(newId(installedAt), app.app_id, userPk, installedAt, status, campaign ? 'device_id' : 'organic', campaign?.campaign_id ?? null, campaign?.network ?? null, opens, purchases, revenue, activeDays);
      if (campaign) {
        const key = `${dayNumber(installedAt)}|${campaign.campaign_id}|${campaign.network}`;
        touches.set(key, (touches.get(key) ?? 0) + 25);
      }
    }
  });
  const CHUNK = 20_000;
  for (let from = 0; from < USERS; from += CHUNK) {
    seedUsers(from, Math.min(USERS, from + CHUNK));
    process.stderr.write(`\rseeded ${events} events`);
  }
  const insertTouch = db.prepare("INSERT INTO touchpoint_days (app_id, day, kind, campaign_id, network, count) VALUES (?, ?, 'click', ?, ?, ?)");
  db.transaction(() => {
    for (const [key, count] of touches) {
      const [day, campaignId, network] = key.split('|');
      insertTouch.run(app.app_id, Number(day), campaignId, network, count);
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  const plan = db
    .prepare(`EXPLAIN QUERY PLAN SELECT campaign_id, count(*) FROM installs i WHERE i.app_id = ? AND i.installed_at >= ? AND i.installed_at < ? GROUP BY campaign_id`)
    .all(app.app_id, (today - 30) * DAY_MS, today * DAY_MS)
    .map((row) => (row as { detail: string }).detail);
  db.close();
  const seedSeconds = Math.round((Date.now() - seedStarted) / 1000);
  process.stderr.write(`\rseeded ${events} events from ${USERS} users in ${seedSeconds} s\n`);

  const reader = openStore(config);
  const from = formatDay(today - 30);
  const to = formatDay(today - 1);
  const results: Record<string, number> = {};
  let installsInRange = 0;
  for (const groupBy of ['day', 'campaign', 'network']) {
    const t = await time(() => buildReport(reader, { app_id: app.app_id, from, to, group_by: groupBy }));
    results[`report by ${groupBy}, 30 days`] = t.median_ms;
    installsInRange = t.result.totals.installs + t.result.totals.organic_installs + t.result.totals.rejected_installs;
  }
  results['report by campaign, 90 days'] = (await time(() => buildReport(reader, { app_id: app.app_id, from: formatDay(firstDay), to, group_by: 'campaign' }))).median_ms;
  results['cohorts, 30 days'] = (await time(() => buildCohorts(reader, { app_id: app.app_id, from, to }))).median_ms;
  await reader.close();
  const exported = await measureExport(dataDir, app.app_id, formatDay(firstDay), formatDay(today));
  if (exported.rows !== events) throw new Error(`the export wrote ${exported.rows} of ${events} events`);

  const sizeMb = Math.round(fs.statSync(path.join(dataDir, 's2s.sqlite')).size / 1e6);
  const report: ReportRun = {
    ...describeRun(),
    data: { events, users: USERS, days: DAYS, campaigns: CAMPAIGNS, installs_in_30_day_range: installsInRange, database_mb: sizeMb, seed_s: seedSeconds },
    plan,
    median_ms: results,
    export: exported,
  };
  fs.writeFileSync(path.join(ROOT, 'bench/results/report.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\n${reportTable(report)}`);
  fs.rmSync(dataDir, { recursive: true, force: true });
}

/**
 * Runs `s2s export` of every event to a pipe this process reads and counts, and reads the
 * child's peak resident memory from /proc while it runs (VmHWM, its high-water mark).
 */
async function measureExport(dataDir: string, appId: string, from: string, to: string): Promise<NonNullable<ReportRun['export']>> {
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'export', '--app', appId, '--type', 'events', '--from', from, '--to', to], {
    env: { PATH: process.env.PATH, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peakKb = 0;
  const sample = () => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch {
      // It has exited.
    }
  };
  const timer = setInterval(sample, 100);
  let rows = 0;
  let bytes = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`s2s export exited with ${code}`);
  const seconds = (Date.now() - started) / 1000;
  process.stderr.write(`exported ${rows} events in ${seconds.toFixed(1)} s, peak RSS ${Math.round(peakKb / 1024)} MB\n`);
  return { rows, megabytes: Math.round(bytes / 1e6), seconds: Math.round(seconds * 10) / 10, rows_per_s: Math.round(rows / seconds), peak_rss_mb: Math.round(peakKb / 1024) };
}

await main();

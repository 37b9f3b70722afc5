import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RETENTION_JOB, runRetention } from '../../../src/ops/retention.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson } from '../../helpers/cli.js';
import { rawQuery } from '../../helpers/raw-sql.js';

const DAY = 86_400_000;

/** IP addresses and user agents are kept S2S_RETAIN_IP_DAYS (ops/retention.ts); the rest stays. */
describe.each(BACKENDS)('retention of IP addresses on $name', (backend) => {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-retain-'));
  });
  afterEach(async () => {
    await db.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function seed(): Promise<{ app_id: string }> {
    const app = await cliJson(['apps', 'create', '--name', 'R', '--platform', 'android'], db.env);
    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'n', '--name', 'c'], db.env);
    const now = Date.now();
    const iso = (t: number) => new Date(t).toISOString();
    const lines = [40, 2].flatMap((days) => [
      { type: 'click', time: iso(now - days * DAY - 3_600_000), campaign_id: campaign.campaign_id, gaid: `g${days}`, ip: `192.0.2.${days}`, user_agent: `UA/${days}` },
      { type: 'open', time: iso(now - days * DAY), gaid: `g${days}`, ip: `192.0.2.${days}`, user_agent: `UA/${days}` },
      { type: 'event', time: iso(now - days * DAY + 60_000), gaid: `g${days}`, event_id: 'purchase', revenue: 5, ip: `192.0.2.${days}`, user_agent: `UA/${days}` },
    ]);
    const file = path.join(dir, 'lines.ndjson');
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await cliJson(['import', '--app', app.app_id, '--file', file], db.env)).errors).toEqual([]);
    return app;
  }

  /** The distinct (ip, user agent) pairs left in a table. */
  const ips = async (table: string) => [...new Set((await rawQuery(db, `select ip, user_agent from ${table}`, [])).map((r) => JSON.stringify([r.ip, r.user_agent])))].sort();
  const KEPT_ONLY = [JSON.stringify(['192.0.2.2', 'UA/2']), JSON.stringify([null, null])];

  it('the daily job removes IPs and user agents older than 30 days from clicks, events and installs, once a day across processes', async () => {
    const app = await seed();
    const report = async () => (await cliJson(['report', '--app', app.app_id, '--from', new Date(Date.now() - 60 * DAY).toISOString().slice(0, 10), '--to', new Date().toISOString().slice(0, 10), '--group-by', 'campaign'], db.env)).totals;
    const before = await report();
    const now = Date.now();
    const stripped = await runRetention(db.store, now, 30);
    // The old user's click, open and purchase, and its install.
    expect(stripped).toEqual({ touchpoints: 1, events: 2, installs: 1 });
    for (const table of ['touchpoints', 'events', 'installs']) expect(await ips(table), table).toEqual(KEPT_ONLY);
    expect(await report()).toEqual(before);
    // Another process an hour later: not its turn (the lease runs for the day).
    expect(await runRetention(db.store, now + 3_600_000, 30)).toBeUndefined();
    // A day later it runs again, from where the last run got to.
    expect(await runRetention(db.store, now + DAY, 30)).toEqual({ touchpoints: 0, events: 0, installs: 0 });
    const job = await rawQuery(db, 'select done_until from job_runs where name = $1', [RETENTION_JOB]);
    expect(Number(job[0]!.done_until)).toBe(now + DAY - 30 * DAY);
  });

  it('s2s prune removes them too, by S2S_RETAIN_IP_DAYS', async () => {
    await seed();
    const pruned = await cliJson(['prune'], { ...db.env, S2S_RETAIN_IP_DAYS: '7' });
    expect(pruned.stripped_rows).toEqual({ touchpoints: 1, events: 2, installs: 1 });
    for (const table of ['touchpoints', 'events', 'installs']) expect(await ips(table), table).toEqual(KEPT_ONLY);
    const bad = await cliJson(['prune'], { ...db.env, S2S_RETAIN_IP_DAYS: '3' }).catch((error: Error) => error.message);
    expect(bad).toMatch(/S2S_RETAIN_IP_DAYS/);
  });
});

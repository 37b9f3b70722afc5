import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { rawQuery, rawSql, rewindTo } from '../../helpers/raw-sql.js';

describe.each(BACKENDS)('s2s import on $name', (backend) => {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-imp-'));
  });
  afterEach(async () => {
    await db.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads CSV with a header row, attributes at each record’s own time, and reports bad lines by number', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], db.env);
    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'unity', '--name', 'c'], db.env);
    const t0 = Math.floor(Date.now() / 1000) - 3 * 86_400;
    const file = path.join(dir, 'backfill.csv');
    fs.writeFileSync(
      file,
      [
        'type,time,id,campaign_id,gaid,user_id,event_id,revenue,currency,ip,event_value',
        `open,${t0},,,gaid-1,,,,,,`,
        `event,${t0 + 600},,,GAID-1,,purchase,2.5,eur,,"{""sku"":""a,b""}"`,
        `click,${new Date((t0 - 3600) * 1000).toISOString()},${'ab'.repeat(12)},${campaign.campaign_id},gaid-1,,,,,,`,
        `teleport,${t0},,,gaid-1,,,,,,`,
        `open,yesterday,,,gaid-1,,,,,,`,
        `click,${t0},,${'0'.repeat(24)},,,,,,,`,
        `event,${t0},,,,,level,,,,`,
        `open,${t0},,,,u-9,,,,300.1.1.1,`,
      ].join('\n'),
    );
    const summary = await cliJson(['import', '--app', app.app_id, '--file', file], db.env);
    expect(summary.imported).toEqual({ click: 1, view: 0, install: 0, open: 1, event: 1, ad_revenue: 0 });
    expect(summary.errors).toEqual([
      { line: 5, message: 'type: must be one of click, view, install, open, event, ad_revenue' },
      { line: 6, message: 'time: "yesterday" is neither ISO 8601 nor epoch seconds' },
      { line: 7, message: `campaign_id: unknown campaign ${'0'.repeat(24)}` },
      { line: 8, message: 'user_id: a user id or a device id is required' },
      { line: 9, message: 'ip: "300.1.1.1" is not an IP address' },
    ]);
    const install = await db.store.getInstallByUser(app.app_id, { kind: 'gaid', value: 'gaid-1' });
    // The open (earlier in time, later in the file) found the click: touchpoints load first.
    expect(install).toMatchObject({ status: 'attributed', match_type: 'device_id', touchpoint_id: 'ab'.repeat(12), installed_at: t0 * 1000 });
    const events = await db.store.listEvents(app.app_id);
    expect(events.find((e) => e.kind === 'purchase')).toMatchObject({ revenue: 2.5, currency: 'EUR', event_value: '{"sku":"a,b"}' });

    const table = await runCli(['import', '--app', app.app_id, '--file', file], db.env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/duplicates\s+3/);
    expect(table.stdout).toContain('line 5: type: must be one of');
  });

  it('imports ad revenue with its details, once, into the install summary', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], db.env);
    const t0 = Math.floor(Date.now() / 1000) - 10 * 86_400;
    const file = path.join(dir, 'ads.ndjson');
    const lines = [
      { type: 'open', time: t0, gaid: 'ads-1' },
      { type: 'ad_revenue', time: t0 + 60, gaid: 'ads-1', revenue: 0.004, currency: 'USD', ad_source: 'applovin_max', ad_network: 'APPLOVIN_BIDDING', ad_unit: '9ad0816ac071552a', ad_placement: 'menu', ad_impressions: 1 },
      { type: 'ad_revenue', time: t0 + 8 * 86_400, gaid: 'ads-1', revenue: 0.5 },
      { type: 'ad_revenue', time: t0, gaid: 'ads-1' },
      { type: 'ad_revenue', time: t0, gaid: 'ads-1', revenue: 1, ad_impressions: 0.5 },
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const summary = await cliJson(['import', '--app', app.app_id, '--file', file], db.env);
    expect(summary.imported).toMatchObject({ open: 1, ad_revenue: 2 });
    expect(summary.errors).toEqual([
      { line: 4, message: 'revenue: is required for ad_revenue' },
      { line: 5, message: 'ad_impressions: must be a whole number' },
    ]);
    expect((await cliJson(['import', '--app', app.app_id, '--file', file], db.env)).imported).toMatchObject({ ad_revenue: 0 });
    const events = (await db.store.listEvents(app.app_id)).filter((e) => e.kind === 'ad_revenue');
    expect(events.map((e) => [e.name, e.revenue, e.currency, e.ad_source, e.ad_network, e.ad_unit, e.ad_placement, e.ad_impressions])).toEqual([
      ['ad_revenue', 0.004, 'USD', 'applovin_max', 'APPLOVIN_BIDDING', '9ad0816ac071552a', 'menu', 1],
      ['ad_revenue', 0.5, 'USD', null, null, null, null, null],
    ]);
    const [row] = await rawQuery(db, 'select ad_revenue_usd, ad_impressions, revenue_d0_usd, revenue_d7_usd, revenue_d30_usd from installs where app_id = $1', [app.app_id]);
    expect([row!.ad_revenue_usd, row!.ad_impressions, row!.revenue_d0_usd, row!.revenue_d7_usd, row!.revenue_d30_usd].map(Number)).toEqual([0.504, 1, 0.004, 0.004, 0.504]);
  });

  it('refuses an unknown app, a missing file and malformed NDJSON lines', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios'], db.env);
    const file = path.join(dir, 'x.ndjson');
    fs.writeFileSync(file, '{"type":"open","time":1790000000,"idfa":"a"}\n[1,2]\n{"type":\n\n');
    const summary = await cliJson(['import', '--app', app.app_id, '--file', file], db.env);
    expect(summary.imported.open).toBe(1);
    expect(summary.errors).toEqual([
      { line: 2, message: 'line: not a JSON object' },
      { line: 3, message: 'line: not valid JSON' },
    ]);
    expect((await runCli(['import', '--app', 'f'.repeat(24), '--file', file], db.env)).stderr).toBe(`error: --app: unknown app ${'f'.repeat(24)}\n`);
    expect((await runCli(['import', '--app', app.app_id, '--file', '/nope.ndjson'], db.env)).stderr).toBe('error: --file: /nope.ndjson does not exist\n');
  });

  it('still adds nothing twice for a file imported before dedup keys began with the time (migration 0009)', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], db.env);
    const t0 = Math.floor(Date.now() / 1000) - 86_400;
    const lines = [JSON.stringify({ type: 'open', time: t0, gaid: 'old-1' }), JSON.stringify({ type: 'event', time: t0 + 61, gaid: 'old-1', event_id: 'level_2' })];
    const file = path.join(dir, 'old.ndjson');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    expect((await cliJson(['import', '--app', app.app_id, '--file', file], db.env)).imported).toMatchObject({ open: 1, event: 1 });

    // What an earlier version stored: `import:` + the sha256 of the line; and 0009 not applied.
    const sha = (line: string) => createHash('sha256').update(line).digest('hex');
    const statements: [string, unknown[]][] = [];
    for (const line of lines) {
      const second = (JSON.parse(line).time as number).toString(16).padStart(9, '0');
      const current = `import:${second}:${sha(line).slice(0, 32)}`;
      for (const table of ['event_dedup', 'events']) statements.push([`update ${table} set dedup_key = $1 where dedup_key = $2`, [`import:${sha(line)}`, current]]);
    }
    // Later migrations are undone too, so that 0009 is the next one again.
    statements.push([`delete from kysely_migration where name = $1`, ['0009-import-dedup-keys']]);
    await rewindTo(db, '0009-import-dedup-keys');
    await rawSql(db, statements);
    const keyLengths = async () => (await rawQuery(db, 'select length(dedup_key) as n from event_dedup where app_id = $1 order by 1', [app.app_id])).map((r) => Number(r.n));
    expect(await keyLengths()).toEqual([71, 71]);

    // The next command migrates (0009 again), then the file adds nothing: without the
    // migration the old keys would not match and both events would be stored a second time.
    const again = await cliJson(['import', '--app', app.app_id, '--file', file], db.env);
    expect(again).toMatchObject({ imported: { open: 0, event: 0 }, duplicates: 2 });
    expect(await keyLengths()).toEqual([49, 49]);
    expect((await db.store.listEvents(app.app_id)).length).toBe(2);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from './helpers/backends.js';
import { cliJson, runCli } from './helpers/cli.js';

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
    expect(summary.imported).toEqual({ click: 1, view: 0, install: 0, open: 1, event: 1 });
    expect(summary.errors).toEqual([
      { line: 5, message: 'type: must be one of click, view, install, open, event' },
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
    expect((await runCli(['import', '--app', 'f'.repeat(24), '--file', file], db.env)).stderr).toBe(`error: app: unknown app ${'f'.repeat(24)}\n`);
    expect((await runCli(['import', '--app', app.app_id, '--file', '/nope.ndjson'], db.env)).stderr).toBe('error: file: /nope.ndjson does not exist\n');
  });
});

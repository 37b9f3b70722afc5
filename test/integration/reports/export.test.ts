import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_COLUMNS, EXPORT_PAGE_ROWS } from '../../../src/reports/export.js';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { CLI, cliJson, runCli } from '../../helpers/cli.js';
import { rawQuery } from '../../helpers/raw-sql.js';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../../helpers/server.js';

const DAY = '2026-11-20';
const at = (hours: number, minutes = 0) => new Date(Date.UTC(2026, 10, 20, 12) + hours * 3_600_000 + minutes * 60_000).toISOString();
/** More events than one page holds, all at one time: pages must break ties by id. */
const TIED_EVENTS = EXPORT_PAGE_ROWS + 150;

function ndjson(text: string): any[] {
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

describe.each(BACKENDS)('export on $name', (backend: TestBackend) => {
  let server: TestServer;
  let app: { app_id: string };
  let campaign: string;
  let dir: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    const env = server.db.env;
    app = await cliJson(['apps', 'create', '--name', 'Export', '--platform', 'android'], env);
    campaign = (await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'unity', '--name', 'Exported'], env)).campaign_id;
    const lines: Record<string, unknown>[] = [];
    for (let i = 0; i < 3; i++) {
      lines.push({ type: 'click', time: at(i - 1), campaign_id: campaign, gaid: `gaid-${i}`, id: `c00000000000000000000${100 + i}` });
      lines.push({ type: 'open', time: at(i), gaid: `gaid-${i}` });
    }
    lines.push({ type: 'event', time: at(5), gaid: 'gaid-0', event_id: 'purchase', revenue: 1.5, currency: 'USD' });
    lines.push({ type: 'event', time: at(5, 30), gaid: 'gaid-0', event_id: 'level "1", done' });
    for (let i = 0; i < TIED_EVENTS; i++) lines.push({ type: 'event', time: at(6), gaid: 'gaid-1', event_id: 'tick', product_id: `p${i}` });
    // The next day: outside a one-day export.
    lines.push({ type: 'event', time: at(24), gaid: 'gaid-2', event_id: 'late' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-export-'));
    fs.writeFileSync(path.join(dir, 'lines.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await cliJson(['import', '--app', app.app_id, '--file', path.join(dir, 'lines.ndjson')], env)).errors).toEqual([]);
    // A click that credits no campaign (Swaarm's web flow), written behind the product's back.
    await rawQuery(server.db, 'insert into touchpoints (touchpoint_id, kind, app_id, campaign_id, network, created_at) values ($1, $2, $3, null, null, $4)', [
      'c0000000000000000000ffff', 'click', app.app_id, Date.parse(at(-3)),
    ]);
  }, 120_000);
  afterAll(async () => server?.close());

  const cli = (args: string[]) => runCli(['export', '--app', app.app_id, '--from', DAY, '--to', DAY, ...args], server.db.env);

  it('streams installs as NDJSON, one row a line, times in ISO 8601', async () => {
    const out = await cli(['--type', 'installs']);
    expect(out).toMatchObject({ code: 0, stderr: '' });
    const rows = ndjson(out.stdout);
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0])).toEqual([...EXPORT_COLUMNS.installs]);
    expect(rows.map((r) => [r.installed_at, r.status, r.campaign_id, r.touchpoint_id, r.touched_at])).toEqual([0, 1, 2].map((i) => [at(i), 'attributed', campaign, `c00000000000000000000${100 + i}`, at(i - 1)]));
  });

  it('pages events in (time, id) order without losing or repeating a row, and keeps to the range', async () => {
    const rows = ndjson((await cli(['--type', 'events'])).stdout);
    const ticks = rows.filter((r) => r.name === 'tick');
    expect(ticks).toHaveLength(TIED_EVENTS);
    expect(new Set(ticks.map((r) => r.event_pk)).size).toBe(TIED_EVENTS);
    expect(ticks.map((r) => r.event_pk)).toEqual(ticks.map((r) => r.event_pk).sort());
    expect(rows.map((r) => r.name).filter((n) => n !== 'tick')).toEqual(['open', 'open', 'open', 'purchase', 'level "1", done']);
    expect(rows.some((r) => r.name === 'late')).toBe(false);
    expect(rows.find((r) => r.name === 'purchase')).toMatchObject({ revenue: 1.5, currency: 'USD', revenue_usd: 1.5, occurred_at: at(5) });
  });

  it('writes CSV (RFC 4180) to a file, and the admin API streams the same bytes', async () => {
    const file = path.join(dir, 'events.csv');
    expect(await cli(['--type', 'events', '--format', 'csv', '--output', file])).toMatchObject({ code: 0, stdout: '' });
    const csv = fs.readFileSync(file, 'utf8');
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe(EXPORT_COLUMNS.events.join(','));
    expect(lines).toHaveLength(1 + 3 + 2 + TIED_EVENTS + 1);
    expect(lines.find((l) => l.includes('level'))).toContain(',event,"level ""1"", done",');

    const res = await fetch(`${server.url}/admin/export?app_id=${app.app_id}&type=events&from=${DAY}&to=${DAY}&format=csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="events-${DAY}-${DAY}.csv"`);
    expect(await res.text()).toBe(csv);
  });

  it('exports touchpoints campaign by campaign, then those that credit none', async () => {
    const rows = ndjson((await cli(['--type', 'touchpoints'])).stdout);
    expect(rows.map((r) => [r.touchpoint_id, r.campaign_id])).toEqual([
      ['c00000000000000000000100', campaign],
      ['c00000000000000000000101', campaign],
      ['c00000000000000000000102', campaign],
      ['c0000000000000000000ffff', null],
    ]);
    expect(rows[0]).toMatchObject({ kind: 'click', network: 'unity', gaid: 'gaid-0', created_at: at(-1) });
  });

  it('shows a progress line on a terminal (stderr), and none when stderr is not one', async () => {
    const file = path.join(dir, 'tty.ndjson');
    const args = ['export', '--app', app.app_id, '--type', 'events', '--from', DAY, '--to', DAY, '--output', file].map((a) => `'${a}'`).join(' ');
    // util-linux `script` runs the command on a pseudo-terminal and copies what it printed.
    const env = { ...process.env, ...server.db.env, LOG_LEVEL: 'silent' };
    const out = await new Promise<string>((resolve, reject) =>
      execFile('script', ['-qec', `${process.execPath} ${CLI} ${args}`, '/dev/null'], { env, timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
    );
    expect(out).toMatch(new RegExp(`exported ${(TIED_EVENTS + 5).toLocaleString('en-US')} rows, \\d+\\.\\d MB in \\d+\\.\\d s\\r?\\n`));
    expect(ndjson(fs.readFileSync(file, 'utf8'))).toHaveLength(TIED_EVENTS + 5);
    expect((await cli(['--type', 'events', '--output', file])).stderr).toBe('');
  });

  it('prints only the header for a kind with no rows', async () => {
    expect((await cli(['--type', 'deliveries', '--format', 'csv'])).stdout).toBe(`${EXPORT_COLUMNS.deliveries.join(',')}\r\n`);
    expect((await cli(['--type', 'skan'])).stdout).toBe('');
  });

  it('refuses bad parameters with a 4xx naming the field', async () => {
    const admin = async (query: string) => {
      const res = await fetch(`${server.url}/admin/export?${query}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return `${res.status} ${((await res.json()) as { message: string }).message}`;
    };
    const base = `app_id=${app.app_id}&from=${DAY}&to=${DAY}`;
    expect(await admin(`${base}&type=clicks`)).toMatch(/^400 .*type/);
    expect(await admin(`${base}&type=events&format=xml`)).toMatch(/^400 .*format/);
    expect(await admin(`app_id=${app.app_id}&type=events&from=2026-02-30&to=${DAY}`)).toBe('400 from: must be a date, YYYY-MM-DD');
    expect(await admin(`app_id=${app.app_id}&type=events&from=${DAY}&to=2026-11-01`)).toBe('400 to: must not be before from');
    expect(await admin(`app_id=${'f'.repeat(24)}&type=events&from=${DAY}&to=${DAY}`)).toBe(`404 app_id: unknown app ${'f'.repeat(24)}`);
    expect((await fetch(`${server.url}/admin/export?${base}&type=events`)).status).toBe(401);
    expect(await runCli(['export', '--app', app.app_id, '--type', 'views', '--from', DAY, '--to', DAY], server.db.env)).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: --type: must be one of/) });
  });
});

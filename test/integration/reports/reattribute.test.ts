import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { reattribute } from '../../../src/reports/reattribute.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

const DAY = '2026-11-20';
const at = (hours: number) => new Date(Date.UTC(2026, 10, 20, 12) + hours * 3_600_000).toISOString();
const device = (n: number) => `a0a0a0a0-0000-4000-8000-00000000000${n}`;

/** `s2s reattribute`: what-if windows over a known day, dry run then apply. */
describe.each(BACKENDS)('reattribute on $name', (backend: TestBackend) => {
  let server: TestServer;
  let app: { app_id: string };
  let ids: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn', S2S_DISPATCH_POLL_MS: '20' });
    const env = server.db.env;
    app = await cliJson(['apps', 'create', '--name', 'What if', '--platform', 'ios'], env);
    const campaign = async (name: string) => (await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', name.toLowerCase(), '--name', name], env)).campaign_id as string;
    ids = { clicks: await campaign('Clicks'), views: await campaign('Views'), old: await campaign('Old') };
    const lines = [
      // User 1: a click 5 days before its install (credited today), a view 2 hours before.
      { type: 'click', time: at(-24 * 5), campaign_id: ids.clicks, idfa: device(1) },
      { type: 'view', time: at(-2), campaign_id: ids.views, idfa: device(1) },
      { type: 'open', time: at(0), idfa: device(1) },
      // User 2: a click 10 days before, outside the 7-day window: organic today.
      { type: 'click', time: at(-24 * 10), campaign_id: ids.old, idfa: device(2) },
      { type: 'open', time: at(1), idfa: device(2) },
      // User 3: a click an hour before, credited under any window tried here.
      { type: 'click', time: at(1), campaign_id: ids.clicks, idfa: device(3) },
      { type: 'open', time: at(2), idfa: device(3) },
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-reattribute-'));
    fs.writeFileSync(path.join(dir, 'l.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await cliJson(['import', '--app', app.app_id, '--file', path.join(dir, 'l.ndjson')], env)).errors).toEqual([]);
  });
  afterAll(async () => server?.close());

  const run = (args: string[]) => runCli(['reattribute', '--app', app.app_id, '--from', DAY, '--to', DAY, ...args], server.db.env);
  const counts = (result: any) => Object.fromEntries(result.campaigns.map((c: any) => [c.name ?? 'organic', [c.now, c.what_if, c.delta]]));

  it('shows, without writing, installs per campaign now and under a shorter click window', async () => {
    const dry = JSON.parse((await run(['--click-window', '3d', '--dry-run', '--json'])).stdout);
    expect(dry).toMatchObject({ installs: 3, changed: 1, kept: {}, windows: { click: 259_200 }, rewritten: null, rejected: { now: 0, what_if: 0 } });
    expect(counts(dry)).toEqual({ Clicks: [2, 1, -1], Views: [0, 1, 1], organic: [1, 1, 0] });
    const table = await run(['--click-window', '3d', '--dry-run']);
    expect(table.stdout).toContain(`${DAY} to ${DAY}: 3 installs replayed with click window 3d; 1 change credit`);
    expect(table.stdout).toMatch(/Views\s+views\s+0\s+1\s+\+1/);
    expect(table.stdout).toContain('dry run: nothing was changed');
    // Nothing changed: the report still credits the click.
    const report = (await call(`${server.url}/admin/reports?app_id=${app.app_id}&from=${DAY}&to=${DAY}&group_by=campaign`, { admin: true })).body;
    expect(report.rows.find((r: any) => r.campaign_id === ids.views)?.installs ?? 0).toBe(0);
  });

  it('credits the organic install to the old click under a longer window', async () => {
    const dry = JSON.parse((await run(['--click-window', '14d', '--dry-run', '--json'])).stdout);
    expect(counts(dry)).toEqual({ Clicks: [2, 2, 0], Old: [0, 1, 1], organic: [1, 0, -1] });
  });

  it('refuses to write without --apply, and bad windows with the option named', async () => {
    expect(await run(['--click-window', '3d'])).toMatchObject({ code: 1, stderr: 'error: --apply: rewriting attribution needs --apply; see the change first with --dry-run\n' });
    expect(await run(['--click-window', '3d', '--dry-run', '--apply'])).toMatchObject({ code: 1, stderr: 'error: --apply: choose --dry-run or --apply, not both\n' });
    expect((await run(['--probabilistic-window', '8d', '--dry-run'])).stderr).toMatch(/^error: --probabilistic-window: at most 7d/);
    // The rest of the checks are the operation's own, whatever calls it.
    const refusal = async (request: Partial<Parameters<typeof reattribute>[1]>) =>
      reattribute(server.services.store, { appId: app.app_id, from: DAY, to: DAY, windows: { click: 86_400 }, apply: false, ...request }).then(
        () => 'accepted',
        (error: Error) => error.message,
      );
    expect(await refusal({ windows: {} })).toMatch(/^click_window_s: give at least one window/);
    expect(await refusal({ windows: { click: 91 * 86_400 } })).toBe('click_window_s: must be <= 7776000');
    expect(await refusal({ windows: { view: 31 * 86_400 } })).toBe('view_window_s: must be <= 2592000');
    expect(await refusal({ from: '2026-11-31' })).toBe('from: must be a date, YYYY-MM-DD');
    expect(await refusal({ to: '2026-11-19' })).toBe('to: must not be before from');
    expect(await refusal({ appId: 'f'.repeat(24) })).toBe(`app_id: unknown app ${'f'.repeat(24)}`);
  });

  it('rewrites the changed installs with --apply in one go, and queues no postback', async () => {
    const hook = await call(`${server.url}/admin/webhooks`, { admin: true, body: { app_id: app.app_id, url: 'http://127.0.0.1:9/never' } });
    expect(hook.status).toBe(201);
    const deliveriesBefore = (await call(`${server.url}/admin/deliveries?app_id=${app.app_id}`, { admin: true })).body.deliveries.length;
    const applied = JSON.parse((await run(['--click-window', '3d', '--apply', '--json'])).stdout);
    expect(applied).toMatchObject({ changed: 1, rewritten: 1 });
    const report = (await call(`${server.url}/admin/reports?app_id=${app.app_id}&from=${DAY}&to=${DAY}&group_by=campaign`, { admin: true })).body;
    expect(Object.fromEntries(report.rows.filter((r: any) => r.campaign_id).map((r: any) => [r.campaign_name, r.installs]))).toMatchObject({ Clicks: 1, Views: 1 });
    const explained = (await call(`${server.url}/admin/users/${device(1)}?app_id=${app.app_id}`, { admin: true })).body;
    expect(explained.installs[0]).toMatchObject({ campaign_id: ids.views, match_type: 'device_id', status: 'attributed' });
    expect((await call(`${server.url}/admin/deliveries?app_id=${app.app_id}`, { admin: true })).body.deliveries.length).toBe(deliveriesBefore);
    // Applied again: nothing left to change.
    expect(JSON.parse((await run(['--click-window', '3d', '--apply', '--json'])).stdout)).toMatchObject({ changed: 0, rewritten: 0 });
  });
});

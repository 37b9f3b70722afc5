import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../../helpers/server.js';

const IDFA = 'e3a1e3a1-0000-4000-8000-00000000e3a1';

/** `s2s explain` and GET /admin/users/{id}: a known case, whose winner and losers are named with their reasons. */
describe.each(BACKENDS)('explain on $name', (backend: TestBackend) => {
  let server: TestServer;
  let app: { app_id: string };
  let ids: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    const env = server.db.env;
    app = await cliJson(['apps', 'create', '--name', 'Explain', '--platform', 'ios'], env);
    const campaign = async (name: string) => (await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', name.toLowerCase(), '--name', name], env)).campaign_id as string;
    ids = { click: await campaign('Clicks'), view: await campaign('Views'), old: await campaign('Old') };
    const at = (hours: number) => new Date(Date.UTC(2026, 10, 20, 12) + hours * 3_600_000).toISOString();
    const lines = [
      { type: 'click', time: at(-24 * 10), campaign_id: ids.old, idfa: IDFA, id: 'c0000000000000000000000a' },
      { type: 'view', time: at(-2), campaign_id: ids.view, idfa: IDFA, id: 'c0000000000000000000000b' },
      { type: 'click', time: at(-1), campaign_id: ids.click, idfa: IDFA, id: 'c0000000000000000000000c' },
      { type: 'open', time: at(0), idfa: IDFA, user_id: 'player-7' },
      { type: 'event', time: at(1), idfa: IDFA, event_id: 'purchase', revenue: 3 },
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-explain-'));
    fs.writeFileSync(path.join(dir, 'l.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n'));
    expect((await cliJson(['import', '--app', app.app_id, '--file', path.join(dir, 'l.ndjson')], env)).errors).toEqual([]);
  });
  afterAll(async () => server?.close());

  it('names the winning click and why the view and the old click lost', async () => {
    const explained = await cliJson(['explain', '--app', app.app_id, '--device', IDFA.toUpperCase()], server.db.env);
    expect(explained.identities).toEqual([
      { kind: 'idfa', value: IDFA },
      { kind: 'user_id', value: 'player-7' },
    ]);
    expect(explained.installs).toHaveLength(1);
    expect(explained.installs[0]).toMatchObject({ kind: 'install', status: 'attributed', match_type: 'device_id', campaign_id: ids.click, touchpoint_id: 'c0000000000000000000000c' });
    expect(explained.installs[0].candidates.map((c: Record<string, unknown>) => [c.touchpoint_id, c.campaign_id, c.matched_by, c.in_window, c.verdict, c.reason])).toEqual([
      ['c0000000000000000000000c', ids.click, 'device_id', true, 'won', 'the latest click matched by device_id inside its window'],
      ['c0000000000000000000000b', ids.view, 'device_id', true, 'lost', 'a click beats a view'],
      ['c0000000000000000000000a', ids.old, 'device_id', false, 'lost', 'it was outside its click window (7d)'],
    ]);
    expect(explained.timeline.map((e: { kind: string; name: string }) => [e.kind, e.name])).toEqual([
      ['purchase', 'purchase'],
      ['open', 'open'],
    ]);

    // The admin API, by the user id as well.
    const api = await call(`${server.url}/admin/users/player-7?app_id=${app.app_id}`, { admin: true });
    expect(api.status).toBe(200);
    expect(api.body).toEqual(explained);
  });

  it('refuses an unknown user or app, or no id, naming the field', async () => {
    expect((await call(`${server.url}/admin/users/nobody?app_id=${app.app_id}`, { admin: true })).body).toEqual({ status: 404, message: `id: no user of app ${app.app_id} has the id nobody` });
    expect(await runCli(['explain', '--app', app.app_id], server.db.env)).toMatchObject({ code: 1, stderr: 'error: --device: name the user by one device id or one user id (user)\n' });
    expect(await runCli(['explain', '--app', 'f'.repeat(24), '--user', 'x'], server.db.env)).toMatchObject({ code: 1, stderr: `error: --app: unknown app ${'f'.repeat(24)}\n` });
    expect((await call(`${server.url}/admin/users/x?app_id=${app.app_id}`)).status).toBe(401);
  });
});

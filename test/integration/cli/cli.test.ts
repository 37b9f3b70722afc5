import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli } from '../../helpers/cli.js';
import { ALL_MIGRATIONS, LATEST_MIGRATION } from '../../helpers/fixtures.js';

describe.each(BACKENDS)('s2s CLI on $name', (backend: TestBackend) => {
  let env: Record<string, string>;
  beforeEach(() => {
    env = { ...backend.env(), S2S_PUBLIC_URL: 'https://t.example.com' };
  });
  afterEach(async () => {
    await backend.cleanup(env);
  });

  it('migrates a fresh database, then has nothing to apply', async () => {
    const first = await cliJson(['migrate'], env);
    expect(first).toMatchObject({ dialect: backend.name, applied: ALL_MIGRATIONS, current: LATEST_MIGRATION });
    const second = await cliJson(['migrate'], env);
    expect(second.applied).toEqual([]);
    const table = await runCli(['migrate'], env);
    expect(table.stdout).toMatch(/^field\s+value\n/);
  });

  it('creates and lists apps, tokens and campaigns as JSON and as tables', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'Gem Quest', '--platform', 'ios', '--store-url', 'https://apps.apple.com/app/id1'], env);
    expect(app).toMatchObject({ name: 'Gem Quest', platform: 'ios', store: 'itunes', store_url: 'https://apps.apple.com/app/id1' });
    expect(app.app_id).toMatch(/^[0-9a-f]{24}$/);
    expect(app.app_signature).toMatch(/^[0-9a-f]{40}$/);
    const pc = await cliJson(['apps', 'create', '--name', 'Forge', '--platform', 'pc', '--store', 'epic'], env);
    expect(pc.store).toBe('epic');

    const apps = await cliJson(['apps', 'list'], env);
    expect(apps.apps.map((a: { app_id: string }) => a.app_id)).toEqual([app.app_id, pc.app_id]);
    const table = await runCli(['apps', 'list'], env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^app_id\s+name\s+platform\s+store\s+app_signature\s+created_at$/);
    expect(table.stdout).toContain('Gem Quest');

    const token = await cliJson(['tokens', 'create', '--app', app.app_id, '--app', pc.app_id, '--secret', '--name', 'partner'], env);
    expect(Object.keys(token)).toEqual(expect.arrayContaining(['token', 'secret', 'token_id', 'app_ids']));
    expect(token.app_ids.sort()).toEqual([app.app_id, pc.app_id].sort());
    expect(token.secret).toMatch(/^[0-9a-f]{64}$/);
    const plain = await cliJson(['tokens', 'create', '--app', app.app_id], env);
    expect(plain.secret).toBeNull();

    const tokens = await runCli(['tokens', 'list'], env);
    expect(tokens.stdout).toContain(token.token.slice(0, 10));
    expect(tokens.stdout).not.toContain(token.token);
    expect(tokens.stdout).not.toContain(token.secret);

    const revoked = await cliJson(['tokens', 'revoke', token.token], env);
    expect(revoked.revoked_at).toMatch(/^\d{4}-/);
    const byId = await cliJson(['tokens', 'revoke', plain.token_id], env);
    expect(byId.token_id).toBe(plain.token_id);
    const listed = await cliJson(['tokens', 'list'], env);
    expect(listed.tokens.every((t: { revoked_at: string | null }) => t.revoked_at !== null)).toBe(true);

    const campaign = await cliJson(['campaigns', 'create', '--app', app.app_id, '--network', 'chartboost', '--name', 'Launch', '--cpi', '1.75'], env);
    expect(campaign).toMatchObject({ app_id: app.app_id, network: 'chartboost', name: 'Launch', cpi: 1.75 });
    expect(campaign.tracking_url).toBe(`https://t.example.com/click?campaign_id=${campaign.campaign_id}`);
    const campaigns = await cliJson(['campaigns', 'list', '--app', app.app_id], env);
    expect(campaigns.campaigns).toEqual([campaign]);
  });

  it('exits non-zero with one line naming the problem on bad input', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
    const cases: [string[], RegExp][] = [
      [['apps', 'create', '--name', 'A', '--platform', 'tv'], /platform: must be one of ios, android, amazon, pc, web/],
      [['apps', 'create', '--platform', 'ios'], /--name/],
      [['apps', 'create', '--name', 'A', '--platform', 'ios', '--store', 'kiosk'], /store: must be one of/],
      [['apps', 'create', '--name', 'A', '--platform', 'ios', '--store-url', 'nope'], /^error: --store-url: /],
      [['tokens', 'create', '--app', 'abc'], /^error: --app: must be an id of 24 lowercase hex characters$/],
      [['tokens', 'create', '--app', 'f'.repeat(24)], /^error: --app: unknown app f{24}$/],
      [['tokens', 'create'], /--app/],
      [['tokens', 'revoke', 'not-a-token'], /token: no such token/],
      [['campaigns', 'create', '--app', app.app_id, '--network', 'x', '--name', 'y', '--cpi', 'lots'], /^error: --cpi: must be a number/],
      [['campaigns', 'create', '--app', app.app_id, '--network', 'x', '--name', 'y', '--cpi', '-3'], /^error: --cpi: at least 0$/],
      [['serve', '--port', 'eighty'], /--port must be a whole number/],
      [['nonsense'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, '--json'], env);
      expect(result.code, args.join(' ')).not.toBe(0);
      expect(result.stdout, args.join(' ')).toBe('');
      const lines = result.stderr.trim().split('\n');
      expect(lines[0], args.join(' ')).toMatch(message);
      expect(lines[0]).toMatch(/^error: /);
    }
  });
});

describe('s2s CLI settings', () => {
  it('reports a bad DATABASE_URL in one line', async () => {
    const result = await runCli(['apps', 'list'], { DATABASE_URL: 'mysql://x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: DATABASE_URL must start with postgres:// (unset it to use the embedded SQLite database)\n');
  });

  it('reports an unreachable PostgreSQL in one line', async () => {
    const result = await runCli(['apps', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: cannot reach the database/);
  });

  it('prints help', async () => {
    const result = await runCli(['--help'], {});
    expect(result.code).toBe(0);
    for (const command of ['serve', 'migrate', 'apps', 'tokens', 'campaigns']) expect(result.stdout).toContain(command);
  });
});

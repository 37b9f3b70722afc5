import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKENDS, TEST_DATABASE_URL, type TestBackend } from '../../helpers/backends.js';
import { cliJson, runCli, runCliRaw, type CliResult } from '../../helpers/cli.js';

/** The CLI's promise: exit code 1, nothing on stdout, exactly one line on stderr. */
function expectOneLine(result: CliResult, what: string): string {
  expect(result.code, what).toBe(1);
  expect(result.stdout, what).toBe('');
  expect(result.stderr.endsWith('\n'), what).toBe(true);
  const lines = result.stderr.slice(0, -1).split('\n');
  expect(lines, what).toHaveLength(1);
  return lines[0]!;
}

const NO_SUCH_ID = 'f'.repeat(24);

describe.each(BACKENDS)('the s2s CLI keeps its promises on $name', (backend: TestBackend) => {
  let env: Record<string, string>;
  beforeEach(() => {
    env = backend.env();
  });
  afterEach(async () => {
    await backend.cleanup(env);
  });

  it('refuses unknown apps, tokens and deliveries and malformed option values in one line that names the option', async () => {
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'android'], env);
    const create = ['campaigns', 'create', '--app', app.app_id, '--network', 'x', '--name', 'y'];
    const cases: [string[], string][] = [
      // Unknown things.
      [['campaigns', 'list', '--app', 'nope'], '--app: unknown app nope'],
      [['postbacks', 'list', '--app', 'nope'], '--app: unknown app nope'],
      [['postbacks', 'log', '--app', 'nope'], '--app: unknown app nope'],
      [['campaigns', 'create', '--app', NO_SUCH_ID, '--network', 'x', '--name', 'y'], `--app: unknown app ${NO_SUCH_ID}`],
      [['tokens', 'create', '--app', NO_SUCH_ID], `--app: unknown app ${NO_SUCH_ID}`],
      [['apps', 'configure', '--app', NO_SUCH_ID, '--click-window', '7d'], `--app: unknown app ${NO_SUCH_ID}`],
      [['report', '--app', 'nope', '--from', '2026-01-01', '--to', '2026-01-02'], '--app: unknown app nope'],
      [['segments', 'list', '--app', 'nope'], '--app: unknown app nope'],
      [['segments', 'create', '--app', app.app_id, '--name', 'n', '--rule', `campaign=${NO_SUCH_ID}`], `--rule: unknown campaign ${NO_SUCH_ID} in app ${app.app_id}`],
      [['postbacks', 'add', '--app', NO_SUCH_ID, '--network', 'n', '--format', 'url', '--url', 'https://n.example/pb'], `--app: unknown app ${NO_SUCH_ID}`],
      [['apps', 'create', '--name', 'B', '--platform', 'ios', '--app-id', app.app_id], `--app-id: ${app.app_id} already exists`],
      [['tokens', 'revoke', 'not-a-token'], 'token: no such token'],
      [['postbacks', 'retry', NO_SUCH_ID], `delivery_id: unknown delivery ${NO_SUCH_ID}`],
      [['postbacks', 'remove', NO_SUCH_ID], `postback_id: no active postback ${NO_SUCH_ID}`],
      // Malformed numbers and durations, in the option's own units.
      [['postbacks', 'log', '--limit', 'abc'], '--limit: must be a whole number, got "abc"'],
      [['postbacks', 'log', '--limit', '0'], '--limit: at least 1'],
      [['postbacks', 'log', '--limit', '20000'], '--limit: at most 10000'],
      [[...create, '--click-window', '100d'], '--click-window: at most 90d'],
      [[...create, '--click-window', '0'], '--click-window: at least 1s'],
      [[...create, '--click-window', 'soon'], '--click-window: must be a duration such as 7d, 24h, 90m or 30s, got "soon"'],
      [[...create, '--probabilistic-window', '8d'], '--probabilistic-window: at most 7d'],
      [[...create, '--cpi', 'lots'], '--cpi: must be a number, got "lots"'],
      [[...create, '--cpi', '-3'], '--cpi: at least 0'],
      [['apps', 'configure', '--app', app.app_id, '--view-window', '31d'], '--view-window: at most 30d'],
      [['apps', 'configure', '--app', app.app_id, '--reinstall-after', '4000d'], '--reinstall-after: at most 3650d'],
      [['apps', 'configure', '--app', app.app_id, '--inactivity-window', '400d'], '--inactivity-window: at most 365d'],
      [['apps', 'configure', '--app', app.app_id, '--probabilistic-re-engagement', 'maybe'], '--probabilistic-re-engagement: must be on or off, got "maybe"'],
      [[...create, '--kind', 'brand'], '--kind: must be one of acquisition, retargeting'],
      [['apps', 'configure', '--app', app.app_id, '--min-ctit', 'abc'], '--min-ctit: must be a whole number, got "abc"'],
      [['apps', 'configure', '--app', app.app_id, '--max-installs-per-ip', '0'], '--max-installs-per-ip: at least 1'],
      [['apps', 'configure', '--app', app.app_id, '--blocked-ips', '10.0.0.0/99'], '--blocked-ips: "10.0.0.0/99" is not an IP address or CIDR range'],
      [['prune', '--older-than', 'a year'], '--older-than: must be a duration such as 400d, got "a year"'],
      // Ids and enumerations, named by their options.
      [['tokens', 'create', '--app', 'abc'], '--app: must be an id of 24 lowercase hex characters'],
      [['apps', 'create', '--name', 'A', '--platform', 'tv'], '--platform: must be one of ios, android, amazon, pc, web'],
      [['apps', 'create', '--name', 'A', '--platform', 'ios', '--app-signature', 'xyz'], '--app-signature: must be 40 lowercase hex characters'],
      [['postbacks', 'log', '--status', 'lost'], '--status: must be one of pending, delivered, failed, dead'],
      [['report', '--app', app.app_id, '--from', '2026-1-1', '--to', '2026-01-02'], '--from: must be a date, YYYY-MM-DD'],
      [['report', '--app', app.app_id, '--from', '2026-01-01', '--to', '2026-01-02', '--group-by', 'week'], '--group-by: must be one of day, campaign, network'],
      // Commander's own refusals, also in one line.
      [['apps', 'create', '--platform', 'ios'], "required option '--name <name>' not specified"],
      [['apps', 'list', '--bogus'], "unknown option '--bogus'"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, env);
      const what = args.join(' ');
      // Soft: one run reports every case that breaks the promise.
      expect.soft({ code: result.code, stdout: result.stdout, stderr: result.stderr }, what).toEqual({ code: 1, stdout: '', stderr: `error: ${message}\n` });
    }

    // Whatever the URL parser says of a bad store URL, it names the option and shows no regex.
    const storeUrl = expectOneLine(await runCli(['apps', 'create', '--name', 'A', '--platform', 'ios', '--store-url', 'nope'], env), '--store-url nope');
    expect(storeUrl).toMatch(/^error: --store-url: /);
    expect(storeUrl).not.toMatch(/pattern|\^|\\S/);
  }, 180_000);

  it('refuses to create a database: only migrate does', async () => {
    const result = await runCliRaw(['apps', 'list'], env);
    const line = expectOneLine(result, 'apps list on no database');
    if (backend.name === 'sqlite') {
      expect(line).toBe(`error: no database at ${path.join(env.DATA_DIR!, 's2s.sqlite')}: run s2s migrate or set DATA_DIR`);
      expect(fs.readdirSync(env.DATA_DIR!)).toEqual([]);
    } else {
      expect(line).toBe(`error: no database at postgres://127.0.0.1:5432/test schema=${env.DATABASE_SCHEMA}: run s2s migrate or set DATABASE_URL and DATABASE_SCHEMA`);
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        const schemas = await client.query('select 1 from information_schema.schemata where schema_name = $1', [env.DATABASE_SCHEMA]);
        expect(schemas.rowCount).toBe(0);
      } finally {
        await client.end();
      }
    }
    expect((await runCliRaw(['migrate'], env)).code).toBe(0);
    expect(await runCliRaw(['apps', 'list', '--json'], env)).toMatchObject({ code: 0, stdout: '{\n  "apps": []\n}\n' });
  });
});

describe('the s2s CLI and its working directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-cwd-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('run where no database is, names the default path and creates nothing', async () => {
    const line = expectOneLine(await runCliRaw(['campaigns', 'list'], {}, { cwd: dir }), 'campaigns list in an empty directory');
    expect(line).toBe('error: no database at ./data/s2s.sqlite: run s2s migrate or set DATA_DIR');
    expect(fs.readdirSync(dir)).toEqual([]);
    expect((await runCliRaw(['migrate'], {}, { cwd: dir })).code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'data', 's2s.sqlite'))).toBe(true);
    expect((await runCliRaw(['campaigns', 'list'], {}, { cwd: dir })).code).toBe(0);
  });

  it('prints tracking URLs from S2S_PUBLIC_URL, else from the configured host and port, and says so', async () => {
    const env = { DATA_DIR: dir };
    const app = await cliJson(['apps', 'create', '--name', 'A', '--platform', 'ios'], env);
    const args = ['campaigns', 'create', '--app', app.app_id, '--network', 'n', '--name', 'c'];
    const local = await cliJson(args, { ...env, HOST: '127.0.0.1', PORT: '9123' });
    expect(local.tracking_url).toBe(`http://127.0.0.1:9123/click?campaign_id=${local.campaign_id}`);
    const wildcard = await cliJson(args, { ...env, PORT: '9124' });
    expect(wildcard.tracking_url).toBe(`http://localhost:9124/click?campaign_id=${wildcard.campaign_id}`);
    const v6 = await cliJson(args, { ...env, HOST: '::1', PORT: '9125' });
    expect(v6.tracking_url).toBe(`http://[::1]:9125/click?campaign_id=${v6.campaign_id}`);
    const pub = await cliJson(args, { ...env, PORT: '9126', S2S_PUBLIC_URL: 'https://t.example.com/' });
    expect(pub.tracking_url).toBe(`https://t.example.com/click?campaign_id=${pub.campaign_id}`);
    const listed = await cliJson(['campaigns', 'list', '--app', app.app_id], { ...env, S2S_PUBLIC_URL: 'https://t.example.com' });
    expect(listed.campaigns.map((c: { tracking_url: string }) => c.tracking_url)).toContain(`https://t.example.com/click?campaign_id=${local.campaign_id}`);

    for (const help of [['--help'], ['campaigns', 'create', '--help']]) {
      const text = (await runCliRaw(help, {})).stdout;
      expect(text, help.join(' ')).toMatch(/S2S_PUBLIC_URL/);
      expect(text, help.join(' ')).toMatch(/PORT/);
    }
  });
});

describe('s2s --help', () => {
  it('marks required options', async () => {
    const campaigns = (await runCliRaw(['campaigns', 'create', '--help'], {})).stdout;
    const line = (flag: string): string => campaigns.split('\n').find((l) => l.trimStart().startsWith(flag)) ?? '';
    for (const flag of ['--app', '--network', '--name']) expect(line(flag), flag).toMatch(/^\s*--\S+ <\w+>\s+\(required\) /);
    for (const flag of ['--cpi', '--click-window', '--json']) expect(line(flag), flag).not.toMatch(/required/);
    const report = (await runCliRaw(['report', '--help'], {})).stdout;
    expect(report).toMatch(/--app <app_id>\s+\(required\) the app/);
    // The range is optional: the last 7 full days and today.
    expect(report).toMatch(/--from <date>\s+first install day/);
  });
});

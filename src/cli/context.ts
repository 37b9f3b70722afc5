import fs from 'node:fs';
import path from 'node:path';
import { Command, Help, type Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { AppError, notFound } from '../errors.js';
import { describeDatabase, isMissingTableError, openStore } from '../storage/db.js';
import { SQLITE_FILE } from '../storage/sqlite/sqlite-store.js';
import type { CatalogStore, Store } from '../storage/store.js';
import { formatDuration } from './options.js';

/**
 * Runs a command against the database the server would use (same DATABASE_URL / DATA_DIR) and
 * closes it afterwards. Only `s2s migrate` (`create`) makes a database: any other command fails
 * in one line where none is, instead of starting an empty one wherever it was run. An existing
 * database gets its pending migrations, as after an upgrade.
 */
export async function withStore<T>(run: (store: Store, config: Config) => Promise<T>, options: { create?: boolean } = {}): Promise<T> {
  const config = loadConfig(process.env);
  const missing = `run s2s migrate or set ${config.databaseUrl === undefined ? 'DATA_DIR' : 'DATABASE_URL and DATABASE_SCHEMA'}`;
  if (!options.create && config.databaseUrl === undefined) {
    const file = path.join(config.dataDir, SQLITE_FILE);
    if (!fs.existsSync(file)) throw new ConfigError(`no database at ${displayPath(file)}: ${missing}`);
  }
  const store = openStore(config);
  try {
    if (!options.create) {
      try {
        await store.ping();
      } catch (error) {
        if (!isMissingTableError(error)) throw error;
        const where = config.databaseUrl === undefined ? displayPath(path.join(config.dataDir, SQLITE_FILE)) : describeDatabase(config);
        throw new ConfigError(`no database at ${where}: ${missing}`);
      }
      await store.migrate();
    }
    return await run(store, config);
  } finally {
    await store.close();
  }
}

/** A path as the user would type it: `./data/s2s.sqlite` under the working directory, else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : `./${relative}`;
}

/** Fails with `--app: unknown app …` unless the app exists (for filters that would list nothing). */
export async function requireApp(store: CatalogStore, appId: string): Promise<void> {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
}

/** Prints one line on stderr and exits non-zero: the CLI's only way to fail. */
export function fail(error: unknown, command?: Command): never {
  const message =
    error instanceof AppError
      ? toCliMessage(error.message, command)
      : error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? describeUnexpected(error)
          : String(error);
  process.stderr.write(`error: ${message.split('\n')[0]}\n`);
  process.exit(1);
}

function describeUnexpected(error: Error): string {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `cannot reach the database (${error.message})`;
  return error.message || error.name;
}

/** Wraps a commander action so any error becomes a one-line message and exit code 1. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (error) {
      // Commander passes the command itself last.
      const command = args.at(-1);
      fail(error, command instanceof Command ? command : undefined);
    }
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

// ---------------------------------------------------------------------------------------------
// The one translation from the admin operations' words to the CLI's. The operations (shared
// with the admin API) name their input fields (`click_window_s: must be <= 7776000`); the CLI
// names its options, in their units (`--click-window: at most 90d`).

type Unit = 'duration' | 'days' | 'seconds';

/**
 * Operation fields whose option is not simply `--field-name`, tried in order (the first the
 * command has wins), and the unit an option is given in when it is not a plain number.
 */
const FIELDS: Record<string, { options?: string[]; unit?: Unit }> = {
  app_id: { options: ['--app-id', '--app'] },
  app_ids: { options: ['--app'] },
  click_window_s: { options: ['--click-window'], unit: 'duration' },
  view_window_s: { options: ['--view-window'], unit: 'duration' },
  probabilistic_window_s: { options: ['--probabilistic-window'], unit: 'duration' },
  reinstall_after_days: { options: ['--reinstall-after'], unit: 'days' },
  re_engagement_window_s: { options: ['--re-engagement-window'], unit: 'duration' },
  re_engagement_attribution_window_s: { options: ['--re-engagement-attribution-window'], unit: 'duration' },
  inactivity_window_s: { options: ['--inactivity-window'], unit: 'duration' },
  re_engagement_probabilistic: { options: ['--probabilistic-re-engagement'] },
  apple_development: { options: ['--apple-development'] },
  devices: { options: ['--device'] },
  device: { options: ['--device'] },
  user: { options: ['--user'] },
  campaign_id: { options: ['--campaign-id', '--campaign'] },
  ad_network_id: { options: ['--network-id'] },
  source_identifier: { options: ['--source-id'] },
  user_ids: { options: ['--user'] },
  min_ctit_s: { options: ['--min-ctit'], unit: 'seconds' },
  blocked_cidrs: { options: ['--blocked-ips'] },
  rules: { options: ['--rule'] },
};

/**
 * Rewrites `field: what is wrong` as `--option: what is wrong` for the command that failed,
 * with schema wording (Ajv's) in the option's terms. A field the command takes as an argument
 * (`<delivery_id>`), or one it does not know, keeps its name.
 */
export function toCliMessage(message: string, command: Command | undefined): string {
  const match = /^([a-z_][a-z0-9_-]*?)(\.\d+)?: (.*)$/s.exec(message);
  if (!match || !command) return message;
  const [, field, , rest] = match as unknown as [string, string, string | undefined, string];
  const known = FIELDS[field];
  const flags = new Set(command.options.map((o: Option) => o.long));
  const option = (known?.options ?? [`--${field.replace(/_/g, '-')}`]).find((flag) => flags.has(flag));
  if (option === undefined) return message;
  return `${option}: ${describeProblem(rest, known?.unit)}`;
}

function describeProblem(text: string, unit: Unit | undefined): string {
  const amount = (n: number): string =>
    unit === 'duration' ? formatDuration(n) : unit === 'days' ? formatDuration(n * 86_400) : unit === 'seconds' ? `${n} seconds` : String(n);
  const bound = /^must be (<=|>=|<|>) (-?\d+(?:\.\d+)?)$/.exec(text);
  if (bound) {
    const words = { '<=': 'at most', '>=': 'at least', '<': 'below', '>': 'above' }[bound[1] as '<=' | '>=' | '<' | '>'];
    return `${words} ${amount(Number(bound[2]))}`;
  }
  const pattern = /^must match pattern "(.*)"$/.exec(text);
  if (pattern) {
    const hex = /^\^\[0-9a-f\]\{(\d+)\}\$$/.exec(pattern[1]!);
    if (hex) return hex[1] === '24' ? 'must be an id of 24 lowercase hex characters' : `must be ${hex[1]} lowercase hex characters`;
    if (pattern[1]!.startsWith('^https?:')) return 'must be an http(s) URL';
    return 'is not in the expected form';
  }
  const length = /^must NOT have (more|fewer) than (\d+) (characters|items)$/.exec(text);
  if (length) {
    const [, side, n, what] = length as unknown as [string, string, string, string];
    if (side === 'fewer' && n === '1') return what === 'items' ? 'needs at least one value' : 'must not be empty';
    return `${side === 'more' ? 'at most' : 'at least'} ${n} ${what === 'items' ? 'values' : 'characters'}`;
  }
  if (text === 'must be integer') return 'must be a whole number';
  if (text === 'must be number') return 'must be a number';
  return text;
}

// ---------------------------------------------------------------------------------------------

/** Where the tracking URLs the CLI prints come from (config.ts, publicUrl). */
export const PUBLIC_URL_NOTE =
  'Tracking URLs start with S2S_PUBLIC_URL, the address networks reach the server at. Without it they\nstart with http://HOST:PORT of this environment (localhost for 0.0.0.0): set S2S_PUBLIC_URL, or PORT\nand HOST as the server has them.';

const FIRST_STEPS = `
First steps:
  s2s migrate    create the database (in DATA_DIR, default ./data; or at DATABASE_URL)
  s2s serve      serve HTTP on PORT (default 8080)
  s2s apps create --name "Gem Quest" --platform ios --store-url https://apps.apple.com/app/id1
  s2s campaigns create --app APP_ID --network chartboost --name Launch
  s2s tokens create --app APP_ID --secret

Every command but serve and migrate needs a database made by s2s migrate.
${PUBLIC_URL_NOTE}`;

/**
 * Settings every command inherits (call before adding commands): required options say so in
 * --help, and the help ends with the first steps.
 */
export function configureProgram(program: Command): void {
  program.configureHelp({
    optionDescription(option: Option): string {
      const text = Help.prototype.optionDescription.call(this, option);
      return option.mandatory ? `(required) ${text}` : text;
    },
  });
  program.addHelpText('after', FIRST_STEPS);
}

import { ConfigError, loadConfig, type Config } from '../config.js';
import { AppError } from '../errors.js';
import { openStore } from '../storage/db.js';
import type { Store } from '../storage/store.js';

/**
 * Runs a command against the database the server would use (same DATABASE_URL / DATA_DIR),
 * migrating it first so a command works on a fresh install; closes it afterwards.
 */
export async function withStore<T>(
  run: (store: Store, config: Config) => Promise<T>,
  options: { migrate: boolean } = { migrate: true },
): Promise<T> {
  const config = loadConfig(process.env);
  const store = openStore(config);
  try {
    if (options.migrate) await store.migrate();
    return await run(store, config);
  } finally {
    await store.close();
  }
}

/** Prints one line on stderr and exits non-zero: the CLI's only way to fail. */
export function fail(error: unknown): never {
  const message =
    error instanceof AppError || error instanceof ConfigError
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
      fail(error);
    }
  };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

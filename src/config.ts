import os from 'node:os';
import path from 'node:path';

/** Everything the server and the CLI need to know, parsed once from the environment and flags. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Where the embedded SQLite database lives when no DATABASE_URL is set. */
  readonly dataDir: string;
  /** `postgres://…` selects PostgreSQL; undefined selects the embedded SQLite database. */
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema to use (created on migrate); lets several installs or test runs share one database. */
  readonly databaseSchema: string | undefined;
  /** Bearer token for /admin; undefined turns the admin API off. */
  readonly adminToken: string | undefined;
  /**
   * Base URL this server is reached at, used to build tracking links: S2S_PUBLIC_URL, else
   * http://HOST:PORT (localhost when HOST is a wildcard address).
   */
  readonly publicUrl: string;
  readonly logLevel: string;
  readonly bodyLimitBytes: number;
  /** How long a client may take to send a request's headers, and the whole request (30 s). */
  readonly requestTimeoutMs: number;
  /** Group commit: how long a write may wait for companions, and how many share one transaction. */
  readonly writeBatchDelayMs: number;
  readonly writeBatchMaxRows: number;
  /** Writes waiting beyond this many are refused with 503 instead of growing memory. */
  readonly writeQueueLimit: number;
  /** How long a token lookup is trusted before it is read again; bounds how late a revocation lands. */
  readonly authCacheMs: number;
  /** SQLite `synchronous` pragma: FULL survives power loss, NORMAL only process crashes. */
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  /**
   * SQLite `wal_autocheckpoint`: WAL pages written before a commit copies them into the
   * database file. SQLite's 1 000 made checkpoints (two fsyncs each, on the event loop) about
   * a third of every ingest commit; 4 000 (a WAL of up to ~16 MB) cut commits by 30-40 %.
   * 10 000 did as well for commits but slowed `s2s import` by a third (docs/performance.md).
   */
  readonly sqliteCheckpointPages: number;
  /**
   * Opens, installs and events (all but /s2sevent, which answers with the attribution) are
   * answered once appended to the durable ingest journal and attributed right after
   * (ingest/journal.ts). Off: answered once attributed and recorded.
   */
  readonly ingestJournal: boolean;
  /** Journal entries allowed to wait; past it, requests are attributed before the answer again. */
  readonly ingestJournalMax: number;
  /** Postbacks: first retry back-off (doubling after), and how long a delivery is tried. */
  readonly retryBaseMs: number;
  readonly retryTtlMs: number;
  readonly dispatchTimeoutMs: number;
  readonly dispatchPerDestination: number;
  readonly dispatchPollMs: number;
  /** Requests per second one token may make (per process); 0 turns the limit off. */
  readonly rateLimitPerToken: number;
  /** PEM files: when both are set, the server speaks HTTPS itself. */
  readonly tlsCertFile: string | undefined;
  readonly tlsKeyFile: string | undefined;
  /** Peers (CIDR ranges) whose X-Forwarded-For names the client; empty trusts no one. */
  readonly trustProxy: readonly string[];
  /**
   * V8's old-generation growth after each full collection, in percent (`--heap-growing-percent`,
   * set by `s2s serve` at start); 0 leaves V8's own factor. V8 otherwise lets the heap grow by up to
   * 4× what survived while batch requests arrive, and the process keeps what it took
   * (docs/performance.md).
   */
  readonly heapGrowthPercent: number;
  /** Server processes sharing the port (node:cluster): cores on PostgreSQL, 1 on SQLite. */
  readonly workers: number;
}

export type ConfigOverrides = Partial<Pick<Config, 'port' | 'host' | 'tlsCertFile' | 'tlsKeyFile' | 'workers'>> & { trustProxy?: string };

export class ConfigError extends Error {}

/** WAL pages between SQLite checkpoints (see `sqliteCheckpointPages`). */
export const DEFAULT_CHECKPOINT_PAGES = 4000;

/** See `heapGrowthPercent`: 20 held `/measure`'s peak RSS to 135 MB against 230–250 MB. */
export const DEFAULT_HEAP_GROWTH_PERCENT = 20;

type Env = Record<string, string | undefined>;

/** Parses the environment (and CLI overrides) into a frozen Config; throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const port = overrides.port ?? readInt(env, 'PORT', 8080, 0, 65535);
  const host = overrides.host ?? readString(env, 'HOST') ?? '0.0.0.0';
  const databaseUrl = readString(env, 'DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// (unset it to use the embedded SQLite database)');
  }
  const databaseSchema = readString(env, 'DATABASE_SCHEMA');
  if (databaseSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(databaseSchema)) {
    throw new ConfigError('DATABASE_SCHEMA must be a lowercase SQL identifier');
  }
  const sync = (readString(env, 'S2S_SQLITE_SYNCHRONOUS') ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') {
    throw new ConfigError('S2S_SQLITE_SYNCHRONOUS must be FULL or NORMAL');
  }
  const publicUrl = (readString(env, 'S2S_PUBLIC_URL') ?? `http://${urlHost(host)}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(publicUrl)) throw new ConfigError('S2S_PUBLIC_URL must be an http(s) URL');

  const trustProxy = parseTrustProxy(overrides.trustProxy ?? readString(env, 'S2S_TRUST_PROXY') ?? '');

  const tlsCertFile = overrides.tlsCertFile ?? readString(env, 'S2S_TLS_CERT');
  const tlsKeyFile = overrides.tlsKeyFile ?? readString(env, 'S2S_TLS_KEY');
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key (S2S_TLS_CERT, S2S_TLS_KEY) go together');
  }

  const workers = overrides.workers ?? readInt(env, 'S2S_WORKERS', databaseUrl === undefined ? 1 : os.availableParallelism(), 1, 256);
  if (workers > 1 && databaseUrl === undefined) {
    throw new ConfigError('--workers (S2S_WORKERS): SQLite has a single writer, so it runs one worker; use PostgreSQL (DATABASE_URL) for more');
  }

  return Object.freeze({
    port,
    host,
    dataDir: path.resolve(readString(env, 'DATA_DIR') ?? './data'),
    databaseUrl,
    databaseSchema,
    adminToken: readString(env, 'S2S_ADMIN_TOKEN'),
    publicUrl,
    logLevel: readString(env, 'LOG_LEVEL') ?? 'info',
    bodyLimitBytes: readInt(env, 'S2S_BODY_LIMIT', 64 * 1024, 1024, 16 * 1024 * 1024),
    requestTimeoutMs: readInt(env, 'S2S_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000),
    writeBatchDelayMs: readInt(env, 'S2S_WRITE_BATCH_MS', 1, 0, 1000),
    writeBatchMaxRows: readInt(env, 'S2S_WRITE_BATCH_ROWS', 500, 1, 100_000),
    writeQueueLimit: readInt(env, 'S2S_WRITE_QUEUE_LIMIT', 20_000, 1, 10_000_000),
    authCacheMs: readInt(env, 'S2S_AUTH_CACHE_MS', 2000, 0, 60_000),
    sqliteSynchronous: sync,
    sqliteCheckpointPages: readInt(env, 'S2S_SQLITE_CHECKPOINT_PAGES', DEFAULT_CHECKPOINT_PAGES, 100, 1_000_000),
    heapGrowthPercent: readInt(env, 'S2S_HEAP_GROWTH_PERCENT', DEFAULT_HEAP_GROWTH_PERCENT, 0, 1000),
    ingestJournal: readSwitch(env, 'S2S_INGEST_JOURNAL', false),
    ingestJournalMax: readInt(env, 'S2S_INGEST_JOURNAL_MAX', 1_000_000, 1, 1_000_000_000),
    retryBaseMs: readInt(env, 'S2S_RETRY_BASE_MS', 5000, 1, 3_600_000),
    retryTtlMs: readInt(env, 'S2S_RETRY_TTL_MS', 86_400_000, 1, 30 * 86_400_000),
    dispatchTimeoutMs: readInt(env, 'S2S_DISPATCH_TIMEOUT_MS', 10_000, 100, 300_000),
    dispatchPerDestination: readInt(env, 'S2S_DISPATCH_PER_DESTINATION', 8, 1, 1000),
    dispatchPollMs: readInt(env, 'S2S_DISPATCH_POLL_MS', 250, 10, 60_000),
    rateLimitPerToken: readInt(env, 'S2S_RATE_LIMIT', 0, 0, 10_000_000),
    tlsCertFile,
    tlsKeyFile,
    trustProxy,
    workers,
  });
}

/** The host part of the default public URL: localhost for a wildcard address, brackets for IPv6. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

const CIDR = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)(\/\d{1,3})?$/;

function parseTrustProxy(text: string): string[] {
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((cidr) => !CIDR.test(cidr));
  if (bad !== undefined) throw new ConfigError(`S2S_TRUST_PROXY / --trust-proxy: "${bad}" is not an IP address or CIDR range`);
  return list;
}

/** Parses a TCP port given on the command line. */
export function parsePort(value: string): number {
  return parseIntStrict('--port', value, 0, 65535);
}

export function parseWorkers(value: string): number {
  return parseIntStrict('--workers', value, 1, 256);
}

function readString(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function readSwitch(env: Env, name: string, fallback: boolean): boolean {
  const value = readString(env, name)?.toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'on', 'yes'].includes(value)) return true;
  if (['0', 'false', 'off', 'no'].includes(value)) return false;
  throw new ConfigError(`${name} must be on or off (1/0, true/false)`);
}

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readString(env, name);
  return raw === undefined ? fallback : parseIntStrict(name, raw, min, max);
}

function parseIntStrict(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

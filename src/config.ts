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
  /** Postbacks: first retry back-off (doubling after), and how long a delivery is tried. */
  readonly retryBaseMs: number;
  readonly retryTtlMs: number;
  /** Days IP addresses and user agents are kept on clicks, views, events and installs (ops/retention.ts). */
  readonly retainIpDays: number;
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
  /** Server processes sharing the port (node:cluster): cores on PostgreSQL, 1 on SQLite. */
  readonly workers: number;
}

export type ConfigOverrides = Partial<Pick<Config, 'port' | 'host' | 'tlsCertFile' | 'tlsKeyFile' | 'workers'>> & { trustProxy?: string };

export class ConfigError extends Error {}

const OFF = (value: string): boolean => ['0', 'false', 'off', 'no', ''].includes(value.trim().toLowerCase());

/**
 * Settings that existed once and were removed with what they switched (issue #19). A value that
 * asks for what the server does anyway (a mode off, the value now fixed) is accepted, so an
 * upgrade with an old environment starts; any other stops the start, so nobody believes a mode
 * is on that is gone.
 */
const REMOVED_SETTINGS: Record<string, { harmless: (value: string) => boolean; why: string }> = {
  S2S_INGEST_JOURNAL: { harmless: OFF, why: 'the ingest journal was removed: every conversion is answered once recorded (docs/performance.md, "one ingest path")' },
  S2S_INGEST_JOURNAL_MAX: { harmless: () => true, why: 'the ingest journal was removed' },
  S2S_SQLITE_CHECKPOINT_PAGES: { harmless: (v) => v.trim() === '4000', why: 'the WAL checkpoint interval is fixed at 4000 pages (src/storage/sqlite/sqlite-store.ts)' },
  S2S_HEAP_GROWTH_PERCENT: { harmless: (v) => v.trim() === '20', why: 'V8 heap growth is a Node flag now: `s2s` and `npm start` run with --heap-growing-percent=20 (docs/configuration.md)' },
  S2S_SQLITE_WRITER_THREAD: { harmless: OFF, why: 'the SQLite writer thread was removed (docs/performance.md)' },
};

type Env = Record<string, string | undefined>;

/** Parses the environment (and CLI overrides) into a frozen Config; throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  for (const [name, removed] of Object.entries(REMOVED_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && !removed.harmless(value)) throw new ConfigError(`${name}=${value} is no longer a setting: ${removed.why}; unset it`);
  }
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
    retryBaseMs: readInt(env, 'S2S_RETRY_BASE_MS', 5000, 1, 3_600_000),
    retryTtlMs: readInt(env, 'S2S_RETRY_TTL_MS', 86_400_000, 1, 30 * 86_400_000),
    // At least the IP lookback (7 days): probabilistic matching reads the IPs of the week before.
    retainIpDays: readInt(env, 'S2S_RETAIN_IP_DAYS', 30, 7, 3650),
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

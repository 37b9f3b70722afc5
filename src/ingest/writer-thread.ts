/**
 * The SQLite store on a thread of its own (`S2S_SQLITE_WRITER_THREAD=on`). better-sqlite3 runs
 * every statement synchronously, so on the event loop a commit stops HTTP for as long as
 * attribution and SQLite take. Here the connection, the group-commit transactions and
 * attribution run on a worker thread (`writer-thread.worker.ts`) while this thread speaks HTTP.
 * On two shared cores that did not raise throughput, but it cut `/measure`'s p99 to a third
 * (docs/performance.md); it costs a second V8 heap, so it is off by default.
 *
 * The store this returns forwards every `Store` method to that thread (one connection, as
 * before: no lock contention between threads) and commits batches there (`commitBatch`).
 * Values cross by structured clone, so they must be plain data, as rows already are. Errors
 * keep what callers look at: an `AppError`'s status and headers, a database error's `code`.
 * `transaction(work)` cannot take a callback across threads; ingest uses `commitBatch`.
 *
 * A writer thread that dies unexpectedly takes the process with it (its error is rethrown
 * here): nothing acknowledged is lost, and a supervisor restarts a server it can trust.
 */
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import type { Config } from '../config.js';
import { openStore } from '../storage/db.js';
import type { SqliteOptions } from '../storage/sqlite/sqlite-store.js';
import type { DialectName, Store } from '../storage/store.js';
import type { BatchCommitter } from './apply-batch.js';

export type ThreadedStore = Store & BatchCommitter;

/** Store methods that run on the writer thread; a new one must be listed (the type says so). */
type Forwarded = Exclude<{ [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never }[keyof Store], 'transaction' | 'close'>;
const FORWARDED: Record<Forwarded, true> = {
  migrate: true, ping: true, createApp: true, getApp: true, updateAppSettings: true, listApps: true, createToken: true,
  listTokens: true, findTokenByHash: true, revokeToken: true, createCampaign: true, getCampaign: true, listCampaigns: true,
  getTouchpoint: true, findIdempotencyKey: true, getInstallByUser: true, listInstalls: true, listEvents: true,
  listKnownDevices: true, createPostback: true, listPostbacks: true, removePostback: true, claimDueDeliveries: true,
  recordAttempt: true, releaseClaims: true, listDeliveries: true, getDelivery: true, listAttempts: true, retryDelivery: true,
  countDeliveries: true, listRates: true, setRate: true, reportInstallCounters: true, reportTouchCounts: true,
  cohortMatrix: true, createSegment: true, getSegment: true, listSegments: true, segmentIdentities: true,
  ensurePartitions: true, prune: true, readJournal: true, failJournalEntry: true, countJournal: true,
  listFailedJournal: true, requeueJournalEntry: true,
};

/** The worker's options: what `openSqliteStore` takes, minus functions (they cannot cross). */
export type WriterThreadOptions = Omit<SqliteOptions, 'flushWal'>;

/** What crosses back for a failed call. */
export interface ThreadError {
  name: string;
  message: string;
  stack?: string | undefined;
  code?: string | undefined;
  status?: number | undefined;
  headers?: Record<string, string> | undefined;
}

export type ThreadRequest = { id: number; method: string; args: unknown[] };
export type ThreadReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ThreadError };
export type ThreadReady = { ready: true; dialect: DialectName; writeConcurrency: number } | { ready: false; error: ThreadError };

/** Turns an error into plain data for the other thread (structured clone drops `code` and `status`). */
export function describeError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & { code?: unknown; status?: unknown; headers?: unknown };
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    code: typeof e.code === 'string' ? e.code : undefined,
    status: error instanceof AppError ? error.status : undefined,
    headers: error instanceof AppError ? error.headers : undefined,
  };
}

/** The error again, on this side: an AppError stays one, a database error keeps its code. */
export function restoreError(error: ThreadError): Error {
  if (error.name === 'AppError' && error.status !== undefined) return new AppError(error.status, error.message, error.headers);
  const restored = new Error(error.message) as Error & { code?: string };
  restored.name = error.name;
  if (error.code !== undefined) restored.code = error.code;
  if (error.stack !== undefined) restored.stack = error.stack;
  return restored;
}

/**
 * The worker script: next to this module once built. Under the test runner this module is the
 * TypeScript source, which a worker cannot load, so the built copy is used (`npm test` builds).
 */
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/ingest/writer-thread.worker.js', here) : new URL('./writer-thread.worker.js', here);
}

/** Whether `config` puts SQLite on the writer thread (PostgreSQL never is). */
export function usesWriterThread(config: Pick<Config, 'databaseUrl' | 'sqliteWriterThread'>): boolean {
  return config.databaseUrl === undefined && config.sqliteWriterThread;
}

/** The store `s2s serve` runs on: the writer thread when configured, else `openStore`. */
export async function openServerStore(config: Config): Promise<Store> {
  return usesWriterThread(config) ? openSqliteWriterThread({ dataDir: config.dataDir, synchronous: config.sqliteSynchronous, checkpointPages: config.sqliteCheckpointPages }) : openStore(config);
}

/** Opens the SQLite database on a writer thread; resolves once it is open. */
export async function openSqliteWriterThread(options: WriterThreadOptions): Promise<ThreadedStore> {
  const worker = new Worker(fileURLToPath(workerUrl()), { workerData: options, env: process.env });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let closing = false;
  let stopped: Error | null = null;

  const ready = await new Promise<Extract<ThreadReady, { ready: true }>>((resolve, reject) => {
    worker.once('message', (message: ThreadReady) => (message.ready ? resolve(message) : reject(restoreError(message.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`database: the SQLite writer thread exited (code ${code}) before opening`)));
  });

  worker.on('message', (reply: ThreadReply) => {
    const call = pending.get(reply.id);
    if (!call) return;
    pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(restoreError(reply.error));
  });
  worker.on('error', (error) => {
    stopped = error;
    for (const call of pending.values()) call.reject(error);
    pending.clear();
    // The database thread is gone: this process can no longer keep its promises.
    if (!closing) {
      process.nextTick(() => {
        throw error;
      });
    }
  });
  worker.on('exit', (code) => {
    stopped ??= new Error(`database: the SQLite writer thread stopped (exit code ${code})`);
    for (const call of pending.values()) call.reject(stopped);
    pending.clear();
  });

  const call = (method: string, args: unknown[]): Promise<unknown> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, method, args } satisfies ThreadRequest);
    });
  };

  const store: Record<string, unknown> = {
    dialect: ready.dialect,
    writeConcurrency: ready.writeConcurrency,
    commitBatch: (...args: unknown[]) => call('commitBatch', args),
    transaction: () => Promise.reject(new Error('transaction: runs only on the writer thread; ingest commits with commitBatch')),
    close: async () => {
      if (closing) return;
      closing = true;
      if (stopped) {
        await worker.terminate();
        return;
      }
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await call('close', []);
      await exited;
    },
  };
  for (const method of Object.keys(FORWARDED)) store[method] = (...args: unknown[]) => call(method, args);
  return store as unknown as ThreadedStore;
}

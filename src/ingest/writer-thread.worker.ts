/**
 * The writer thread's side of `writer-thread.ts`: it owns the SQLite connection, answers the
 * forwarded `Store` calls and commits group-commit batches (attribution included). Calls run
 * in arrival order as far as SQLite allows: a batch waiting for its WAL flush lets the next
 * message start, as on the event loop before.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { Store } from '../storage/store.js';
import { commitBatch, type BatchInputs } from './apply-batch.js';
import type { WriteOp } from './records.js';
import { describeError, type ThreadReady, type ThreadReply, type ThreadRequest, type WriterThreadOptions } from './writer-thread.js';

const port = parentPort!;

function open(): Store | null {
  try {
    return openSqliteStore(workerData as WriterThreadOptions);
  } catch (error) {
    port.postMessage({ ready: false, error: describeError(error) } satisfies ThreadReady);
    return null;
  }
}

const store = open();
if (store) {
  port.on('message', (request: ThreadRequest) => void answer(store, request));
  port.postMessage({ ready: true, dialect: store.dialect, writeConcurrency: store.writeConcurrency } satisfies ThreadReady);
}

async function answer(store: Store, { id, method, args }: ThreadRequest): Promise<void> {
  let reply: ThreadReply;
  try {
    reply = { id, ok: true, value: await run(store, method, args) };
  } catch (error) {
    reply = { id, ok: false, error: describeError(error) };
  }
  port.postMessage(reply);
  // Closed: end the thread (its exit hooks run, e.g. S2S_SQL_PROFILE's report).
  if (method === 'close') setImmediate(() => process.exit(0));
}

function run(store: Store, method: string, args: unknown[]): Promise<unknown> {
  if (method === 'commitBatch') return commitBatch(store, args[0] as WriteOp[], args[1] as BatchInputs);
  if (method === 'close') return store.close();
  const fn = (store as unknown as Record<string, unknown>)[method];
  if (method === 'transaction' || typeof fn !== 'function') return Promise.reject(new Error(`writer thread: no store method ${method}`));
  return (fn as (...a: unknown[]) => Promise<unknown>).apply(store, args);
}

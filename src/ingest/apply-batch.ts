import type { Postback } from '../postbacks/formats/index.js';
import type { IngestStore, IngestTx } from '../storage/store.js';
import { appKey } from '../storage/ingest-tx.js';
import { BatchView, type BatchConversion } from './batch-view.js';
import { recordConversion } from './conversions.js';
import type { WriteOp, WriteOutcome } from './records.js';

export interface BatchContext {
  /** The app's active postbacks (cached); read before the transaction opens. */
  postbacksFor(appId: string): Promise<Postback[]>;
  retryTtlMs: number;
  /** The operator's currency rates (cached); read before the transaction opens. */
  rates(): Promise<ReadonlyMap<string, number>>;
}

const NO_POSTBACKS: BatchContext = { postbacksFor: async () => [], retryTtlMs: 0, rates: async () => new Map() };

/** What a batch reads before its transaction opens. */
interface BatchInputs {
  /** Each converting app's active postbacks. */
  postbacks: Map<string, Postback[]>;
  rates: ReadonlyMap<string, number>;
  retryTtlMs: number;
}

/**
 * Commits one group-commit batch: every op in one transaction, in arrival order (a click
 * must be stored before an install in the same batch can be attributed to it), with the
 * postbacks each conversion owes written to the outbox in that same transaction.
 */
export async function applyBatch(store: IngestStore, ops: readonly WriteOp[], context: BatchContext = NO_POSTBACKS): Promise<WriteOutcome[]> {
  const inputs = await loadBatchInputs(ops, context);
  return recordBatch(store, ops, inputs);
}

/** Reads what the batch's conversions need from the (cached) context. */
async function loadBatchInputs(ops: readonly WriteOp[], context: BatchContext): Promise<BatchInputs> {
  // Loaded first: a lookup on SQLite's one connection cannot run while the transaction holds it.
  const postbacks = new Map<string, Postback[]>();
  for (const op of ops) {
    if (op.kind === 'conversion' && !postbacks.has(op.conversion.app.app_id)) {
      postbacks.set(op.conversion.app.app_id, await context.postbacksFor(op.conversion.app.app_id));
    }
  }
  const rates = ops.some((op) => op.kind === 'conversion') ? await context.rates() : new Map<string, number>();
  return { postbacks, rates, retryTtlMs: context.retryTtlMs };
}

/**
 * The transaction of `applyBatch`, given its inputs. Touchpoints go first, all in one insert (a
 * conversion later in the batch sees them; one earlier does not, see BatchView), then the
 * conversions, resolved together by a BatchView in arrival order: a constant number of
 * statements for the whole batch, however many records it holds.
 */
function recordBatch(store: IngestStore, ops: readonly WriteOp[], inputs: BatchInputs): Promise<WriteOutcome[]> {
  return store.transaction(async (tx) => {
    const outcomes: WriteOutcome[] = new Array(ops.length);
    const touches: number[] = [];
    const conversions: BatchConversion[] = [];
    const postbacks: number[] = [];
    for (const [i, op] of ops.entries()) {
      if (op.kind === 'touchpoint') touches.push(i);
      else if (op.kind === 'skan') postbacks.push(i);
      else conversions.push({ op: i, record: op.conversion });
    }
    if (postbacks.length > 0) {
      // Apple's postbacks stand alone: no user, no attribution, one insert for the batch.
      const rows = postbacks.map((i) => (ops[i] as SkanOp).postback);
      const stored = await tx.insertSkanPostbacks(rows);
      for (const [n, i] of postbacks.entries()) outcomes[i] = { kind: 'skan', stored: stored.delete(rows[n]!.postback_pk) };
    }
    const touchpointOps = new Map<string, number>();
    if (touches.length > 0) {
      const stored = await storeTouchpoints(tx, touches.map((i) => ops[i] as TouchpointOp));
      for (const [n, i] of touches.entries()) {
        outcomes[i] = stored[n]!;
        if (stored[n]!.stored) touchpointOps.set(stored[n]!.id, i);
      }
    }
    if (conversions.length === 0) return outcomes;

    const postbackApps = new Set([...inputs.postbacks].filter(([, list]) => list.length > 0).map(([appId]) => appId));
    const view = await BatchView.load(tx, conversions, touchpointOps, postbackApps);
    for (const [n, { op, record }] of conversions.entries()) {
      view.focus(n, op);
      const ctx = { postbacks: inputs.postbacks.get(record.app.app_id) ?? [], retryTtlMs: inputs.retryTtlMs, rates: inputs.rates };
      outcomes[op] = { kind: 'conversion', outcome: await recordConversion(view, record, ctx) };
    }
    const queued = await view.commit();
    for (const [n, { op }] of conversions.entries()) {
      const outcome = outcomes[op] as Extract<WriteOutcome, { kind: 'conversion' }>;
      outcome.outcome.postbacksQueued = queued.get(n) ?? 0;
    }
    return outcomes;
  });
}

type TouchpointOp = Extract<WriteOp, { kind: 'touchpoint' }>;
type SkanOp = Extract<WriteOp, { kind: 'skan' }>;

async function storeTouchpoints(tx: IngestTx, ops: TouchpointOp[]): Promise<Extract<WriteOutcome, { kind: 'touchpoint' }>[]> {
  // A request retried with the same Idempotency-Key keeps the first request's id: nothing new.
  // The first op of the batch with a key claims it; a later one with the same key gets its id.
  const claims = new Map<string, { app_id: string; idem_key: string; record_id: string; created_at: number }>();
  for (const { touchpoint: t, idempotencyKey } of ops) {
    const key = idempotencyKey === undefined ? undefined : appKey(t.app_id, idempotencyKey);
    if (key !== undefined && !claims.has(key)) claims.set(key, { app_id: t.app_id, idem_key: idempotencyKey!, record_id: t.touchpoint_id, created_at: t.created_at });
  }
  const standing = await tx.claimIdempotencyKeys([...claims.values()]);
  const ids = ops.map(({ touchpoint: t, idempotencyKey }) => (idempotencyKey === undefined ? t.touchpoint_id : (standing.get(appKey(t.app_id, idempotencyKey)) ?? t.touchpoint_id)));
  const inserted = await tx.insertTouchpoints(ops.filter((op, i) => ids[i] === op.touchpoint.touchpoint_id).map((op) => op.touchpoint));
  // An id repeated inside one batch is stored once: only its first op reports stored.
  return ops.map((_op, i) => ({ kind: 'touchpoint', stored: inserted.delete(ids[i]!), id: ids[i]! }));
}

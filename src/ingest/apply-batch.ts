import { idempotencyCutoff } from '../domain/idempotency.js';
import type { Postback } from '../postbacks/formats/index.js';
import type { IngestStore, IngestTx } from '../storage/store.js';
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

/** The transaction of `applyBatch`, given its inputs. */
function recordBatch(store: IngestStore, ops: readonly WriteOp[], inputs: BatchInputs): Promise<WriteOutcome[]> {
  return store.transaction(async (tx) => {
    const outcomes: WriteOutcome[] = [];
    let i = 0;
    while (i < ops.length) {
      const op = ops[i]!;
      if (op.kind === 'touchpoint') {
        // Consecutive touchpoints become multi-row inserts.
        const j = runEnd(ops, i);
        outcomes.push(...(await storeTouchpoints(tx, ops.slice(i, j) as Extract<WriteOp, { kind: 'touchpoint' }>[])));
        i = j;
      } else {
        const ctx = { postbacks: inputs.postbacks.get(op.conversion.app.app_id) ?? [], retryTtlMs: inputs.retryTtlMs, rates: inputs.rates };
        outcomes.push({ kind: 'conversion', outcome: await recordConversion(tx, op.conversion, ctx) });
        i++;
      }
    }
    return outcomes;
  });
}

/** Where the run of ops of the same kind as `ops[start]` ends (exclusive). */
function runEnd(ops: readonly WriteOp[], start: number): number {
  let end = start + 1;
  while (end < ops.length && ops[end]!.kind === ops[start]!.kind) end++;
  return end;
}

async function storeTouchpoints(tx: IngestTx, ops: Extract<WriteOp, { kind: 'touchpoint' }>[]): Promise<WriteOutcome[]> {
  // A request retried with the same Idempotency-Key keeps the first request's id: nothing new.
  const ids: string[] = [];
  const fresh: Extract<WriteOp, { kind: 'touchpoint' }>[] = [];
  for (const op of ops) {
    const t = op.touchpoint;
    const id = op.idempotencyKey === undefined ? t.touchpoint_id : await tx.claimIdempotencyKey(t.app_id, op.idempotencyKey, t.touchpoint_id, t.created_at, idempotencyCutoff(t.created_at));
    ids.push(id);
    if (id === t.touchpoint_id) fresh.push(op);
  }
  const inserted = await tx.insertTouchpoints(fresh.map((op) => op.touchpoint));
  // An id repeated inside one batch is stored once: only its first op reports stored.
  return ops.map((_op, i) => ({ kind: 'touchpoint', stored: inserted.delete(ids[i]!), id: ids[i]! }));
}

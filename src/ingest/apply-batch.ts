import type { Store, StoreTx } from '../storage/store.js';
import { recordConversion } from './conversions.js';
import type { WriteOp, WriteOutcome } from './records.js';

/**
 * Commits one group-commit batch: every op in one transaction, in arrival order (a click
 * must be stored before an install in the same batch can be attributed to it).
 */
export function applyBatch(store: Store, ops: readonly WriteOp[]): Promise<WriteOutcome[]> {
  return store.transaction(async (tx) => {
    const outcomes: WriteOutcome[] = [];
    let i = 0;
    while (i < ops.length) {
      const op = ops[i]!;
      if (op.kind === 'touchpoint') {
        // Consecutive touchpoints become multi-row inserts.
        let j = i;
        while (j < ops.length && ops[j]!.kind === 'touchpoint') j++;
        outcomes.push(...(await storeTouchpoints(tx, ops.slice(i, j) as Extract<WriteOp, { kind: 'touchpoint' }>[])));
        i = j;
      } else {
        outcomes.push({ kind: 'conversion', outcome: await recordConversion(tx, op.conversion) });
        i++;
      }
    }
    return outcomes;
  });
}

async function storeTouchpoints(tx: StoreTx, ops: Extract<WriteOp, { kind: 'touchpoint' }>[]): Promise<WriteOutcome[]> {
  const inserted = await tx.insertTouchpoints(ops.map((op) => op.touchpoint));
  // An id repeated inside one batch is stored once: only its first op reports stored.
  return ops.map((op) => ({ kind: 'touchpoint', stored: inserted.delete(op.touchpoint.touchpoint_id) }));
}

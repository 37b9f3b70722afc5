import { describe, expect, it } from 'vitest';
import { WriteQueue, WriteQueueClosedError, WriteQueueFullError } from '../../../src/ingest/write-queue.js';

const options = { batchDelayMs: 1, maxBatch: 100, maxQueue: 10_000, concurrency: 1 };

/** An apply function that records each batch and commits after a real timer tick. */
function recorder(failWhen: (op: number) => boolean = () => false) {
  const batches: number[][] = [];
  const committed: number[] = [];
  const apply = async (ops: number[]): Promise<number[]> => {
    batches.push([...ops]);
    await new Promise((r) => setTimeout(r, 2));
    if (ops.some(failWhen)) throw new Error('constraint violated');
    committed.push(...ops);
    return ops.map((op) => op * 10);
  };
  return { batches, committed, apply };
}

describe('write queue (group commit)', () => {
  it('commits concurrent submissions together and answers each after its commit', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, options);
    const answered: number[] = [];
    const all = Array.from({ length: 250 }, (_, i) =>
      queue.submit(i).then((out) => {
        // A record is answered only once it is in the committed set.
        expect(r.committed).toContain(i);
        answered.push(out);
        return out;
      }),
    );
    expect(await Promise.all(all)).toEqual(Array.from({ length: 250 }, (_, i) => i * 10));
    // 250 records, at most 100 per batch: three commits, not 250.
    expect(r.batches.map((b) => b.length)).toEqual([100, 100, 50]);
  });

  it('gathers records that arrive during a commit into the next batch', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, options);
    const first = queue.submit(1);
    await new Promise((res) => setTimeout(res, 1.5));
    const later = [2, 3, 4].map((n) => queue.submit(n));
    await Promise.all([first, ...later]);
    expect(r.batches.length).toBeLessThanOrEqual(2);
    expect(r.batches.flat().sort()).toEqual([1, 2, 3, 4]);
  });

  it('fails only the bad record of a batch: the rest commit on their own', async () => {
    const r = recorder((op) => op === 3);
    const queue = new WriteQueue(r.apply, options);
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => queue.submit(n)));
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(r.committed.sort()).toEqual([1, 2, 4]);
  });

  it('refuses at once when full (back-pressure) and after close', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, { ...options, maxQueue: 3, maxBatch: 3 });
    const accepted = [queue.submit(1), queue.submit(2), queue.submit(3)];
    // The first three left the queue for a commit; three more fill it again.
    const waiting = [queue.submit(4), queue.submit(5), queue.submit(6)];
    await expect(queue.submit(7)).rejects.toBeInstanceOf(WriteQueueFullError);
    await Promise.all([...accepted, ...waiting]);
    await queue.close();
    await expect(queue.submit(8)).rejects.toBeInstanceOf(WriteQueueClosedError);
  });

  it('close() waits for everything queued to commit', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, { ...options, batchDelayMs: 50 });
    const pending = Array.from({ length: 10 }, (_, i) => queue.submit(i));
    await queue.close();
    expect(r.committed.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await Promise.all(pending);
    expect(queue.depth).toBe(0);
  });
});

describe('write queue: a group of records (a /measure batch) is one op', () => {
  it('admits a group whole or refuses it whole when it does not fit the room left', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, { ...options, batchDelayMs: 20, maxQueue: 5 });
    const waiting = [queue.submit(1), queue.submit(2), queue.submit(3)];
    await expect(queue.submitAll([4, 5, 6])).rejects.toBeInstanceOf(WriteQueueFullError);
    expect(queue.depth).toBe(3);
    const fits = queue.submitAll([7, 8]);
    await expect(Promise.all(waiting)).resolves.toEqual([10, 20, 30]);
    await expect(fits).resolves.toEqual([70, 80]);
    expect(r.committed.sort((a, b) => a - b)).toEqual([1, 2, 3, 7, 8]);
  });

  it('admits a group larger than the whole queue only when the queue is empty', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, { ...options, maxQueue: 2 });
    await expect(queue.submitAll([1, 2, 3])).resolves.toEqual([10, 20, 30]);
  });

  it('commits a group in one transaction, never split across batches', async () => {
    const r = recorder();
    const queue = new WriteQueue(r.apply, { ...options, maxBatch: 3 });
    const before = queue.submit(1);
    const group = queue.submitAll([2, 3, 4, 5, 6]);
    await Promise.all([before, group]);
    for (const batch of r.batches) if (batch.includes(2)) expect(batch).toEqual(expect.arrayContaining([2, 3, 4, 5, 6]));
  });

  it('fails a group whole when one of its records cannot be stored; the other records commit', async () => {
    const r = recorder((op) => op === 3);
    const queue = new WriteQueue(r.apply, options);
    const results = await Promise.allSettled([queue.submit(1), queue.submitAll([2, 3, 4]), queue.submit(5)]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(r.committed.sort()).toEqual([1, 5]);
  });
});

describe('write queue: an outage', () => {
  const outage = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

  it('refuses every record of a batch that failed with an outage at once, without committing each alone', async () => {
    let calls = 0;
    const queue = new WriteQueue<number, number>(async () => {
      calls++;
      throw outage;
    }, { ...options, isOutage: (e) => e === outage });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => queue.submit(n)));
    expect(results.map((x) => x.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(calls).toBe(1);
  });

  it('says writes are failing from an outage until a commit succeeds', async () => {
    let fail = true;
    const queue = new WriteQueue<number, number>(async (ops) => {
      if (fail) throw outage;
      return ops;
    }, { ...options, isOutage: (e) => e === outage });
    expect(queue.outage).toBeUndefined();
    await expect(queue.submit(1)).rejects.toBe(outage);
    expect(queue.outage?.error).toBe(outage);
    fail = false;
    await queue.submit(2);
    expect(queue.outage).toBeUndefined();
  });
});

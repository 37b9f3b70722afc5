import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../../src/domain/ids.js';
import { WriteQueue } from '../../../src/ingest/write-queue.js';
import { applyBatch } from '../../../src/ingest/apply-batch.js';
import type { WriteOp, WriteOutcome } from '../../../src/ingest/records.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { touchpoint } from '../../helpers/fixtures.js';

const options = { batchDelayMs: 1, maxBatch: 100, maxQueue: 10_000, concurrency: 1 };

describe.each(BACKENDS)('group commit on $name', (backend) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('stores 2000 concurrent records in a few dozen transactions, each durable when answered', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const sizes: number[] = [];
    const queue = new WriteQueue<WriteOp, WriteOutcome>((ops) => applyBatch(db.store, ops), {
      ...options,
      maxBatch: 500,
      concurrency: db.store.writeConcurrency,
      onCommit: (size) => sizes.push(size),
    });
    const rows = Array.from({ length: 2000 }, () => touchpoint(app.app_id, newId()));
    const outcomes = await Promise.all(rows.map((t) => queue.submit({ kind: 'touchpoint', touchpoint: t })));
    expect(outcomes.every((o) => o.kind === 'touchpoint' && o.stored)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(2000);
    expect(sizes.length).toBeLessThanOrEqual(40);
    for (const t of [rows[0]!, rows[999]!, rows[1999]!]) expect(await db.store.getTouchpoint(t.touchpoint_id)).toEqual(t);
    await queue.close();
  });
});

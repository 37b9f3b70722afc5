import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IDEMPOTENCY_WINDOW_MS } from '../../../src/domain/idempotency.js';
import { buildIngestPipeline, type IngestPipeline } from '../../../src/ingest/pipeline.js';
import type { ConversionRecord } from '../../../src/ingest/records.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { touchpoint } from '../../helpers/fixtures.js';

describe.each(BACKENDS)('an Idempotency-Key through the ingest pipeline on $name', (backend) => {
  let db: TestDatabase;
  let pipeline: IngestPipeline;
  let appId: string;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    appId = (await db.store.createApp({ name: 'I', platform: 'android', store: 'google_play', store_url: null })).app_id;
    pipeline = buildIngestPipeline(db.store, { batchDelayMs: 0, maxBatch: 10, maxQueue: 100, postbacksFor: async () => [], rates: async () => new Map(), retryTtlMs: 0 });
  });
  afterEach(async () => {
    await pipeline.close();
    await db.dispose();
  });

  const DAY = 86_400_000;
  const at = (time: number, id: string) => touchpoint(appId, null, { touchpoint_id: id, created_at: time });

  it('keeps the first request\'s id for a retry within 7 days, and treats the key as new after them', async () => {
    const t0 = Date.now() - 30 * DAY;
    expect(await pipeline.recordTouch(at(t0, 'first'), 'retry-me')).toEqual({ stored: true, id: 'first' });
    expect(await pipeline.recordTouch(at(t0 + 6 * DAY, 'again'), 'retry-me')).toEqual({ stored: false, id: 'first' });
    // 8 days on, the first claim has expired: a new click, and the key now stands for it.
    expect(await pipeline.recordTouch(at(t0 + 8 * DAY, 'later'), 'retry-me')).toEqual({ stored: true, id: 'later' });
    expect(await pipeline.recordTouch(at(t0 + 9 * DAY, 'retry'), 'retry-me')).toEqual({ stored: false, id: 'later' });
    expect(await db.store.getTouchpoint('later')).toBeDefined();
    expect(await db.store.getTouchpoint('again')).toBeUndefined();
    // As the request path reads it: found within the window only.
    expect(await db.store.findIdempotencyKey(appId, 'retry-me', t0 + 9 * DAY - IDEMPOTENCY_WINDOW_MS)).toBe('later');
    expect(await db.store.findIdempotencyKey(appId, 'retry-me', t0 + 16 * DAY - IDEMPOTENCY_WINDOW_MS)).toBeUndefined();
  });

  it('treats an event\'s Idempotency-Key as new after 7 days, and a sender\'s own event id as the same event for good', async () => {
    const app = (await db.store.getApp(appId))!;
    const t0 = Date.now() - 30 * DAY;
    const event = (time: number, dedupKey: string): ConversionRecord => ({
      app,
      time,
      receivedAt: time,
      source: 'test',
      userId: 'u-1',
      deviceIds: {},
      clickIds: [],
      viewIds: [],
      event: { kind: 'event', name: 'level', dedupKey },
    });
    const stored = async (time: number, key: string) => (await pipeline.record(event(time, key))).eventStored;
    expect(await stored(t0, 'key:k')).toBe(true);
    expect(await stored(t0 + 6 * DAY, 'key:k')).toBe(false);
    expect(await stored(t0 + 8 * DAY, 'key:k')).toBe(true);
    expect(await stored(t0 + 9 * DAY, 'key:k')).toBe(false);
    expect(await stored(t0, 'uid:tx-1')).toBe(true);
    expect(await stored(t0 + 20 * DAY, 'uid:tx-1')).toBe(false);
    expect((await db.store.listEvents(appId)).filter((e) => e.kind === 'event')).toHaveLength(3);
  });
});

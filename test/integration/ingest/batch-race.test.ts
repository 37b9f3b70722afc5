import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/domain/apps.js';
import { applyBatch } from '../../../src/ingest/apply-batch.js';
import { BatchView } from '../../../src/ingest/batch-view.js';
import { recordConversion } from '../../../src/ingest/conversions.js';
import type { ConversionRecord } from '../../../src/ingest/records.js';
import { openStore } from '../../../src/storage/db.js';
import { ConcurrentWriteError, type Store } from '../../../src/storage/store.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';

/**
 * A batch decides in memory what it loaded at its start. Another server process (PostgreSQL)
 * may store the same new user before the batch writes: the batch must notice, roll back and
 * run again, so that the user is stored once with one install.
 */
describe.each(BACKENDS.filter((b) => b.name === 'postgres'))('a batch racing another process on $name', (backend) => {
  let db: TestDatabase;
  let other: Store;
  let app: App;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
    other = openStore(db.config);
    app = await db.store.createApp({ name: 'A', platform: 'android', store: 'google_play', store_url: null });
  });
  afterEach(async () => {
    await other.close();
    await db.dispose();
  });

  const open = (gaid: string): ConversionRecord => ({
    app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid }, clickIds: [], viewIds: [], event: { kind: 'open', name: 'open' },
  });

  it("finds the other process's user at commit, runs again and stores one user, one install, both events", async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    await db.store.transaction(async (tx) => {
      attempts++;
      const record = open('raced');
      const view = await BatchView.load(tx, [{ op: 0, record }], new Map(), new Set());
      view.focus(0, 0);
      const outcome = await recordConversion(view, record);
      if (attempts === 1) {
        expect(outcome.newUser).toBe(true);
        // The other process stores the same device and commits, between our load and our writes.
        await applyBatch(other, [{ kind: 'conversion', conversion: open('raced') }]);
      } else {
        expect(outcome.newUser).toBe(false);
      }
      try {
        await view.commit();
      } catch (error) {
        errors.push(error);
        throw error;
      }
    });
    expect(attempts).toBe(2);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ConcurrentWriteError);
    expect(await db.store.listInstalls(app.app_id)).toHaveLength(1);
    expect(await db.store.listEvents(app.app_id)).toHaveLength(2);
    expect(await db.store.listKnownDevices(app.app_id)).toEqual([expect.objectContaining({ value: 'raced' })]);
  });
});

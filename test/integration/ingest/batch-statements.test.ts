import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { App } from '../../../src/domain/apps.js';
import { newId } from '../../../src/domain/ids.js';
import { applyBatch, type BatchContext } from '../../../src/ingest/apply-batch.js';
import type { ConversionRecord, WriteOp } from '../../../src/ingest/records.js';
import { toPostback } from '../../../src/postbacks/outbox.js';
import { openStore } from '../../../src/storage/db.js';
import type { Store } from '../../../src/storage/store.js';
import { BACKENDS, type TestBackend } from '../../helpers/backends.js';
import { touchpoint } from '../../helpers/fixtures.js';

/**
 * A group commit runs a constant number of statements, however many records it holds (issue
 * #20): the store reports every statement it sends, and batches of 1, 10 and 100 records of
 * each shape must send the same number.
 */
describe.each(BACKENDS)('statements per batch on $name', (backend: TestBackend) => {
  let env: Record<string, string>;
  let store: Store;
  let statements: string[];
  let counting = false;
  let app: App;
  let campaignId: string;
  let context: BatchContext;

  beforeEach(async () => {
    env = { ...backend.env(), LOG_LEVEL: 'silent' };
    store = openStore(loadConfig(env), { onStatement: (sql) => counting && statements.push(sql) });
    await store.migrate();
    app = await store.createApp({ name: 'A', platform: 'android', store: 'google_play', store_url: null });
    // The IP rule on, so that each install also counts the installs from its IP.
    app = (await store.updateAppSettings(app.app_id, { max_installs_per_ip: 1000 }))!;
    const campaign = { app_id: app.app_id, network: 'chartboost', name: 'c', cpi: null, click_window_s: null, view_window_s: null, probabilistic_window_s: null };
    campaignId = (await store.createCampaign(campaign)).campaign_id;
    const postback = {
      postback_id: newId(), app_id: app.app_id, network: 'chartboost', format: 'url', url: 'https://n.example/p?c={click_id}',
      token: null, secret: null, app_signature: null, events: null, batch_size: null, created_at: Date.now(), removed_at: null,
    };
    await store.createPostback(postback);
    context = { postbacksFor: async () => [toPostback(postback)], retryTtlMs: 60_000, rates: async () => new Map() };
  });
  afterEach(async () => {
    await store.close();
    await backend.cleanup(env);
  });

  /** The statements one batch of these ops sends. */
  async function count(ops: WriteOp[]): Promise<number> {
    statements = [];
    counting = true;
    try {
      await applyBatch(store, ops, context);
    } finally {
      counting = false;
    }
    return statements.length;
  }

  const open = (gaid: string, over: Partial<ConversionRecord> = {}): WriteOp => ({
    kind: 'conversion',
    conversion: {
      app, time: Date.now(), receivedAt: Date.now(), source: 'test', deviceIds: { gaid }, ip: '192.0.2.9', clickIds: [], viewIds: [],
      event: { kind: 'open', name: 'open', dedupKey: `uid:${gaid}:${newId()}` },
      ...over,
    },
  });

  it('stores new devices, clicks with their attributed installs, and returning users in the same number of statements for 1, 10 and 100', async () => {
    const shapes: Record<string, (n: number, run: string) => WriteOp[]> = {
      'new devices': (n, run) => Array.from({ length: n }, (_, i) => open(`new-${run}-${i}`)),
      'clicks, then their installs': (n, run) => {
        const clicks = Array.from({ length: n }, (_, i) => touchpoint(app.app_id, campaignId, { gaid: `ck-${run}-${i}`, created_at: Date.now() - 60_000 }));
        return [...clicks.map((t): WriteOp => ({ kind: 'touchpoint', touchpoint: t, idempotencyKey: `k-${t.touchpoint_id}` })), ...clicks.map((t) => open(t.gaid!))];
      },
    };
    for (const [shape, build] of Object.entries(shapes)) {
      const counts: Record<number, number> = {};
      for (const n of [1, 10, 100]) counts[n] = await count(build(n, `${shape.length}-${n}`));
      expect(counts, shape).toEqual({ 1: counts[1], 10: counts[1], 100: counts[1] });
    }
    // The clicks' installs were credited to them, in the same batch.
    const install = await store.getInstallByUser(app.app_id, { kind: 'gaid', value: `ck-27-100-99` });
    expect(install).toMatchObject({ status: 'attributed', match_type: 'device_id', campaign_id: campaignId });
    // The same devices again: known users, new events, no install.
    const again: Record<number, number> = {};
    for (const n of [1, 10, 100]) again[n] = await count(Array.from({ length: n }, (_, i) => open(`new-11-${n}-${i}`)));
    expect(again).toEqual({ 1: again[1], 10: again[1], 100: again[1] });
  });

  it('re-engages known users, and credits their next events, in the same number of statements for 1, 10 and 100', async () => {
    const retargeting = await store.createCampaign({ app_id: app.app_id, network: 'chartboost', name: 'r', cpi: null, click_window_s: null, view_window_s: null, probabilistic_window_s: null, kind: 'retargeting' });
    const rtApp = (await store.getApp(app.app_id))!;
    expect(rtApp.has_retargeting).toBe(true);
    const day = 86_400_000;
    const at = (gaid: string, time: number, event = { kind: 'open' as const, name: 'open' }): WriteOp => {
      const op = open(gaid, { app: rtApp, time, receivedAt: time });
      if (op.kind === 'conversion') op.conversion.event = { ...event, dedupKey: `uid:${gaid}:${newId()}` };
      return op;
    };
    const counts: Record<string, Record<number, number>> = { installs: {}, 're-engagements': {}, 'credited purchases': {} };
    for (const n of [1, 10, 100]) {
      const gaids = Array.from({ length: n }, (_, i) => `rt-${n}-${i}`);
      counts.installs![n] = await count(gaids.map((g) => at(g, Date.now() - 2 * day)));
      const clicks = gaids.map((g): WriteOp => ({ kind: 'touchpoint', touchpoint: touchpoint(app.app_id, retargeting.campaign_id, { gaid: g, created_at: Date.now() - 3_600_000 }) }));
      counts['re-engagements']![n] = await count([...clicks, ...gaids.map((g) => at(g, Date.now()))]);
      counts['credited purchases']![n] = await count(gaids.map((g) => at(g, Date.now() + 1000, { kind: 'purchase', name: 'purchase', revenue: 1, currency: 'USD' } as never)));
    }
    for (const [shape, c] of Object.entries(counts)) expect(c, shape).toEqual({ 1: c[1], 10: c[1], 100: c[1] });
    const rows = await store.listInstalls(app.app_id);
    const engaged = rows.filter((r) => r.kind === 're-engagement');
    expect(engaged).toHaveLength(111);
    expect(engaged.every((r) => r.status === 'attributed' && r.campaign_id === retargeting.campaign_id && r.match_type === 'device_id')).toBe(true);
  });

  it('would see a per-record statement: a batch of 100 runs fewer statements than 100 batches of one', async () => {
    // The count itself is real: the store reports statements as it sends them.
    const one = await count([open('single')]);
    expect(one).toBeGreaterThan(3);
    let separate = 0;
    for (let i = 0; i < 100; i++) separate += await count([open(`sep-${i}`)]);
    expect(separate).toBe(100 * one);
    expect(await count(Array.from({ length: 100 }, (_, i) => open(`together-${i}`)))).toBe(one);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../src/auth/credentials.js';
import { newId } from '../src/domain/ids.js';
import { openStore } from '../src/storage/db.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from './helpers/backends.js';
import { touchpoint } from './helpers/fixtures.js';

describe.each(BACKENDS)('storage on $name', (backend) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await openTestDatabase(backend);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('migrates once and reports nothing to do the second time', async () => {
    const again = await db.store.migrate();
    expect(again.applied).toEqual([]);
    expect(again.current).toBe('0002-touchpoints');
  });

  it('survives a reopen: a second store sees what the first wrote', async () => {
    const app = await db.store.createApp({ name: 'Gems', platform: 'ios', store: 'itunes', store_url: null });
    const other = openStore(db.config);
    try {
      expect((await other.migrate()).applied).toEqual([]);
      expect(await other.getApp(app.app_id)).toEqual(app);
    } finally {
      await other.close();
    }
  });

  it('creates apps with 24-hex ids and 40-hex signatures, listed in creation order', async () => {
    const a = await db.store.createApp({ name: 'A', platform: 'android', store: 'google_play', store_url: 'https://play.google.com/store/apps/details?id=a' });
    const b = await db.store.createApp({ name: 'B', platform: 'pc', store: 'steam', store_url: null });
    expect(a.app_id).toMatch(/^[0-9a-f]{24}$/);
    expect(a.app_signature).toMatch(/^[0-9a-f]{40}$/);
    expect(a.app_signature).not.toBe(b.app_signature);
    expect(await db.store.listApps()).toEqual([a, b]);
    expect(await db.store.getApp(a.app_id)).toEqual(a);
    expect(await db.store.getApp(newId())).toBeUndefined();
  });

  it('stores tokens by hash, scoped to their apps, and revokes them', async () => {
    const a = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const b = await db.store.createApp({ name: 'B', platform: 'ios', store: 'itunes', store_url: null });
    const info = await db.store.createToken({
      name: 'partner',
      token_hash: hashToken('tok-1'),
      token_prefix: 'tok-1',
      secret: 'shh',
      app_ids: [a.app_id, b.app_id, a.app_id],
    });
    expect(info.app_ids.sort()).toEqual([a.app_id, b.app_id].sort());
    expect(info.has_secret).toBe(true);

    const grant = await db.store.findTokenByHash(hashToken('tok-1'));
    expect(grant).toMatchObject({ token_id: info.token_id, secret: 'shh', revoked: false });
    expect(grant!.app_ids.sort()).toEqual([a.app_id, b.app_id].sort());
    expect(await db.store.findTokenByHash(hashToken('tok-2'))).toBeUndefined();

    const listed = await db.store.listTokens();
    expect(listed).toHaveLength(1);
    expect(JSON.stringify(listed)).not.toContain('shh');

    const revoked = await db.store.revokeToken({ token_hash: hashToken('tok-1') });
    expect(revoked?.revoked_at).toMatch(/^\d{4}-/);
    expect((await db.store.findTokenByHash(hashToken('tok-1')))?.revoked).toBe(true);
    // Revoking twice keeps the first revocation time.
    expect((await db.store.revokeToken({ token_id: info.token_id }))?.revoked_at).toBe(revoked?.revoked_at);
    expect(await db.store.revokeToken({ token_id: newId() })).toBeUndefined();
  });

  it('refuses a token for an unknown app (foreign key) and stores nothing of it', async () => {
    await expect(
      db.store.createToken({ name: null, token_hash: hashToken('x'), token_prefix: 'x', secret: null, app_ids: [newId()] }),
    ).rejects.toThrow();
    expect(await db.store.listTokens()).toEqual([]);
  });

  it('creates and lists campaigns per app', async () => {
    const a = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const b = await db.store.createApp({ name: 'B', platform: 'ios', store: 'itunes', store_url: null });
    const c1 = await db.store.createCampaign({ app_id: a.app_id, network: 'chartboost', name: 'Launch', cpi: 1.25 });
    const c2 = await db.store.createCampaign({ app_id: b.app_id, network: 'swaarm', name: 'Other', cpi: null });
    expect(c1.cpi).toBe(1.25);
    expect(await db.store.listCampaigns(a.app_id)).toEqual([c1]);
    expect(await db.store.listCampaigns()).toEqual([c1, c2]);
    expect(await db.store.getCampaign(c2.campaign_id)).toEqual(c2);
    await expect(db.store.createCampaign({ app_id: newId(), network: 'x', name: 'y', cpi: null })).rejects.toThrow();
  });

  it('applies a batch of writes in one transaction and reports retries as not stored', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const first = touchpoint(app.app_id, newId(), { idfa: 'abc' });
    const second = touchpoint(app.app_id, newId(), { kind: 'view' });
    expect(await db.store.applyWrites([{ kind: 'touchpoint', touchpoint: first }, { kind: 'touchpoint', touchpoint: second }])).toEqual([
      { stored: true },
      { stored: true },
    ]);
    // The same id again, twice in one batch, beside a new one.
    const third = touchpoint(app.app_id, newId());
    expect(
      await db.store.applyWrites([
        { kind: 'touchpoint', touchpoint: first },
        { kind: 'touchpoint', touchpoint: third },
        { kind: 'touchpoint', touchpoint: third },
      ]),
    ).toEqual([{ stored: false }, { stored: true }, { stored: false }]);
    expect(await db.store.getTouchpoint(first.touchpoint_id)).toEqual(first);
    expect((await db.store.getTouchpoint(second.touchpoint_id))?.kind).toBe('view');
  });

  it('rolls a failing batch back as a whole', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const good = touchpoint(app.app_id, newId());
    const bad = touchpoint(app.app_id, newId(), { network: null as unknown as string });
    await expect(
      db.store.applyWrites([
        { kind: 'touchpoint', touchpoint: good },
        { kind: 'touchpoint', touchpoint: bad },
      ]),
    ).rejects.toThrow();
    expect(await db.store.getTouchpoint(good.touchpoint_id)).toBeUndefined();
  });

  it('writes batches larger than one statement can bind', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const ops = Array.from({ length: 1500 }, () => ({ kind: 'touchpoint' as const, touchpoint: touchpoint(app.app_id, newId()) }));
    const outcomes = await db.store.applyWrites(ops);
    expect(outcomes.filter((o) => o.stored)).toHaveLength(1500);
    expect(await db.store.getTouchpoint(ops[1499]!.touchpoint.touchpoint_id)).toBeDefined();
  });
});

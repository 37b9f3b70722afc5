import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { hashToken } from '../../../src/auth/credentials.js';
import { newId } from '../../../src/domain/ids.js';
import { openStore } from '../../../src/storage/db.js';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { LATEST_MIGRATION, touchpoint } from '../../helpers/fixtures.js';
import { rawSql, rewindTo } from '../../helpers/raw-sql.js';

const NO_WINDOWS = { click_window_s: null, view_window_s: null, probabilistic_window_s: null };

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
    expect(again.current).toBe(LATEST_MIGRATION);
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
    const c1 = await db.store.createCampaign({ app_id: a.app_id, network: 'chartboost', name: 'Launch', cpi: 1.25, ...NO_WINDOWS });
    const c2 = await db.store.createCampaign({ app_id: b.app_id, network: 'swaarm', name: 'Other', cpi: null, click_window_s: 86400, view_window_s: null, probabilistic_window_s: null });
    expect(c1.cpi).toBe(1.25);
    expect(await db.store.listCampaigns(a.app_id)).toEqual([c1]);
    expect(await db.store.listCampaigns()).toEqual([c1, c2]);
    expect(await db.store.getCampaign(c2.campaign_id)).toEqual(c2);
    await expect(db.store.createCampaign({ app_id: newId(), network: 'x', name: 'y', cpi: null, ...NO_WINDOWS })).rejects.toThrow();
  });

  it('inserts touchpoints in one transaction and reports retried ids as not new', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const first = touchpoint(app.app_id, newId(), { idfa: 'abc' });
    const second = touchpoint(app.app_id, null, { kind: 'view', network: null });
    const inserted = await db.store.transaction((tx) => tx.insertTouchpoints([first, second]));
    expect([...inserted].sort()).toEqual([first.touchpoint_id, second.touchpoint_id].sort());
    const third = touchpoint(app.app_id, newId());
    const again = await db.store.transaction((tx) => tx.insertTouchpoints([first, third, third]));
    expect([...again]).toEqual([third.touchpoint_id]);
    expect(await db.store.getTouchpoint(first.touchpoint_id)).toEqual(first);
    expect(await db.store.getTouchpoint(second.touchpoint_id)).toEqual(second);
  });

  it('rolls a failing transaction back as a whole', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const good = touchpoint(app.app_id, newId());
    await expect(
      db.store.transaction(async (tx) => {
        await tx.insertTouchpoints([good]);
        await tx.insertTouchpoints([touchpoint(app.app_id, newId(), { kind: null as unknown as 'click' })]);
      }),
    ).rejects.toThrow();
    expect(await db.store.getTouchpoint(good.touchpoint_id)).toBeUndefined();
  });

  it('writes more touchpoints than one statement can bind', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const rows = Array.from({ length: 1500 }, () => touchpoint(app.app_id, newId()));
    const inserted = await db.store.transaction((tx) => tx.insertTouchpoints(rows));
    expect(inserted.size).toBe(1500);
    expect(await db.store.getTouchpoint(rows[1499]!.touchpoint_id)).toBeDefined();
  });

  it('keeps one install per user and one event per dedup key, whatever is retried', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const user = { user_pk: newId(), app_id: app.app_id, created_at: 1000, last_seen_at: 1000, engagement_id: null, engaged_until: null };
    const install = {
      install_id: newId(), app_id: app.app_id, user_pk: user.user_pk, kind: 'install' as const, installed_at: 1000,
      status: 'organic' as const, match_type: 'organic', campaign_id: null, network: null, touchpoint_id: null, touched_at: null,
      rejected_reason: null, rejected_value: null, ip: '192.0.2.1', user_agent: null, platform: 'ios', source: 'test',
    };
    await db.store.transaction(async (tx) => {
      await tx.insertUser(user);
      expect(await tx.addIdentities(app.app_id, user.user_pk, [{ kind: 'idfa', value: 'aa' }, { kind: 'user_id', value: 'U' }])).toBe(2);
      expect(await tx.addIdentities(app.app_id, newId(), [{ kind: 'idfa', value: 'aa' }])).toBe(0);
      expect(await tx.insertInstall(install, true)).toBe(true);
      expect(await tx.insertInstall({ ...install, install_id: newId() }, true)).toBe(false);
      expect(await tx.insertInstall({ ...install, install_id: newId(), kind: 'reinstall' }, true)).toBe(true);
      // Stored without its IP counted (the app's rule was off): not part of the count.
      expect(await tx.insertInstall({ ...install, install_id: newId(), kind: 'reinstall', installed_at: 1500 }, false)).toBe(true);
      expect(await tx.countInstallsFromIp(app.app_id, '192.0.2.1', 0, 2000)).toBe(2);
      expect(await tx.countInstallsFromIp(app.app_id, '192.0.2.1', 1001, 2000)).toBe(0);
      expect((await tx.findUser(app.app_id, [{ kind: 'user_id', value: 'U' }]))?.user_pk).toBe(user.user_pk);
      expect(await tx.findUser(app.app_id, [{ kind: 'user_id', value: 'u' }])).toBeUndefined();
      const event = {
        event_pk: newId(), app_id: app.app_id, user_pk: user.user_pk, kind: 'purchase' as const, name: 'buy', occurred_at: 1000,
        received_at: 1000, revenue: 1.99, currency: 'USD', revenue_usd: 1.99, aggregated_value: null, event_value: '{"a":1}', product_id: 'gems',
        ip: null, user_agent: null, source: 'test', dedup_key: 'tx-1',
        ad_source: null, ad_network: null, ad_unit: null, ad_placement: null, ad_impressions: null,
      };
      expect(await tx.insertEvent(event)).toBe(true);
      expect(await tx.insertEvent({ ...event, event_pk: newId() })).toBe(false);
      expect(await tx.insertEvent({ ...event, event_pk: newId(), dedup_key: null })).toBe(true);
      expect(await tx.insertEvent({ ...event, event_pk: newId(), dedup_key: null })).toBe(true);
    });
    expect(await db.store.getInstallByUser(app.app_id, { kind: 'idfa', value: 'aa' })).toEqual(install);
    expect(await db.store.listEvents(app.app_id)).toHaveLength(3);
  });

  /** A user with one install at `installedAt` (minutes ago) from `ip`, credited to `touchpointId`. */
  async function userWithInstall(appId: string, opts: { ip: string; installedAt: number; touchpointId?: string; countIp: boolean }) {
    const user = { user_pk: newId(), app_id: appId, created_at: opts.installedAt, last_seen_at: opts.installedAt, engagement_id: null, engaged_until: null };
    const install = {
      install_id: newId(), app_id: appId, user_pk: user.user_pk, kind: 'install' as const, installed_at: opts.installedAt,
      status: 'attributed' as const, match_type: 'device_id', campaign_id: null, network: 'cb', touchpoint_id: opts.touchpointId ?? null,
      touched_at: opts.installedAt - 60_000, rejected_reason: null, rejected_value: null, ip: opts.ip, user_agent: null, platform: 'ios', source: 'test',
    };
    await db.store.transaction(async (tx) => {
      await tx.insertUser(user);
      await tx.insertInstall(install, opts.countIp);
    });
    return { user, install };
  }

  it('counts the last day of installs from an IP once the app switches the IP rule on, not those before', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const now = Date.now();
    await userWithInstall(app.app_id, { ip: '203.0.113.9', installedAt: now - 3_600_000, countIp: false });
    await userWithInstall(app.app_id, { ip: '203.0.113.9', installedAt: now - 2 * 86_400_000, countIp: false });
    const count = () => db.store.transaction((tx) => tx.countInstallsFromIp(app.app_id, '203.0.113.9', now - 3 * 86_400_000, now + 1));
    expect(await count()).toBe(0);
    await db.store.updateAppSettings(app.app_id, { min_ctit_s: 5 });
    expect(await count()).toBe(0);
    await db.store.updateAppSettings(app.app_id, { max_installs_per_ip: 2 });
    expect(await count()).toBe(1);
  });

  it("rejects only the rejecting user's installs credited to the touchpoint", async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const click = touchpoint(app.app_id, null);
    await db.store.transaction((tx) => tx.insertTouchpoints([click]));
    const now = Date.now();
    // Two users credited to one click (a probabilistic match can do that); one device rejects.
    const a = await userWithInstall(app.app_id, { ip: '203.0.113.1', installedAt: now, touchpointId: click.touchpoint_id, countIp: false });
    const b = await userWithInstall(app.app_id, { ip: '203.0.113.2', installedAt: now, touchpointId: click.touchpoint_id, countIp: false });
    const rejected = await db.store.transaction((tx) => tx.rejectInstalls(app.app_id, a.user.user_pk, [click.touchpoint_id, 'other'], 'ctit_too_short', '3s'));
    expect(rejected).toBe(1);
    const installs = await db.store.listInstalls(app.app_id);
    expect(installs.find((i) => i.install_id === a.install.install_id)).toMatchObject({ status: 'rejected', rejected_reason: 'ctit_too_short', rejected_value: '3s' });
    expect(installs.find((i) => i.install_id === b.install.install_id)).toMatchObject({ status: 'attributed', rejected_reason: null });
  });

  it('migration 0011 counts the IPs of the installs of apps that have the IP rule on', async () => {
    const on = await db.store.createApp({ name: 'On', platform: 'ios', store: 'itunes', store_url: null });
    const off = await db.store.createApp({ name: 'Off', platform: 'ios', store: 'itunes', store_url: null });
    const now = Date.now();
    await userWithInstall(on.app_id, { ip: '203.0.113.5', installedAt: now, countIp: false });
    await userWithInstall(off.app_id, { ip: '203.0.113.5', installedAt: now, countIp: false });
    // The schema as it was before 0011 (and the migrations after it); the rule is set behind the
    // store's back, as it was then.
    const pending = await rewindTo(db, '0010-ingest-journal');
    await rawSql(db, [['update apps set max_installs_per_ip = 3 where app_id = $1', [on.app_id]]]);
    const other = openStore(db.config);
    try {
      expect(pending[0]).toBe('0011-install-lookups');
      expect((await other.migrate()).applied).toEqual(pending);
      const count = (appId: string) => other.transaction((tx) => tx.countInstallsFromIp(appId, '203.0.113.5', now - 1, now + 1));
      expect(await count(on.app_id)).toBe(1);
      expect(await count(off.app_id)).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('finds attribution candidates by id, device and IP, with campaign windows, never after the conversion', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'ios', store: 'itunes', store_url: null });
    const campaign = await db.store.createCampaign({ app_id: app.app_id, network: 'cb', name: 'c', cpi: null, click_window_s: 100, view_window_s: null, probabilistic_window_s: null });
    const now = Date.now();
    const byDevice = touchpoint(app.app_id, campaign.campaign_id, { gaid: 'g1', ip: '198.51.100.1', created_at: now - 5000 });
    const byIp = touchpoint(app.app_id, campaign.campaign_id, { ip: '198.51.100.2', created_at: now - 4000 });
    const later = touchpoint(app.app_id, campaign.campaign_id, { gaid: 'g1', ip: '198.51.100.2', created_at: now + 5000 });
    const otherApp = await db.store.createApp({ name: 'B', platform: 'ios', store: 'itunes', store_url: null });
    const elsewhere = touchpoint(otherApp.app_id, null, { gaid: 'g1', ip: '198.51.100.2', created_at: now - 1000 });
    await db.store.transaction((tx) => tx.insertTouchpoints([byDevice, byIp, later, elsewhere]));
    const found = await db.store.transaction((tx) =>
      tx.findCandidates(app.app_id, { ids: [byDevice.touchpoint_id, elsewhere.touchpoint_id], deviceIds: { gaid: 'g1' }, ip: '198.51.100.2', until: now }),
    );
    expect(found.byId.map((r) => r.touchpoint_id)).toEqual([byDevice.touchpoint_id]);
    expect(found.byDevice.map((r) => r.touchpoint_id)).toEqual([byDevice.touchpoint_id]);
    expect(found.byIp.map((r) => r.touchpoint_id)).toEqual([byIp.touchpoint_id]);
    expect(found.byIp[0]).toMatchObject({ campaign_click_window_s: 100, campaign_view_window_s: null });
  });

  it('reads the newest 50 candidates of a device id or an IP that has more, and every batch lookup its own', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'android', store: 'google_play', store_url: null });
    const now = Date.now();
    // 60 clicks on one IP and one device id (the newest last), 3 on another IP.
    const crowd = Array.from({ length: 60 }, (_, i) => touchpoint(app.app_id, null, { gaid: 'shared', ip: '198.51.100.9', created_at: now - 60_000 + i * 1000 }));
    const few = Array.from({ length: 3 }, (_, i) => touchpoint(app.app_id, null, { ip: '198.51.100.10', created_at: now - 30_000 + i * 1000 }));
    await db.store.transaction((tx) => tx.insertTouchpoints([...crowd, ...few]));
    const newest = crowd.slice(-50).reverse().map((t) => t.touchpoint_id);
    const found = await db.store.transaction((tx) => tx.findCandidates(app.app_id, { ids: [], deviceIds: { gaid: 'shared' }, ip: '198.51.100.9', until: now }));
    expect(found.byDevice.map((r) => r.touchpoint_id)).toEqual(newest);
    expect(found.byIp.map((r) => r.touchpoint_id)).toEqual(newest);
    const both = await db.store.transaction((tx) =>
      tx.candidatesFor([
        { i: 0, how: 'ip', app_id: app.app_id, value: '198.51.100.9', since: now - 86_400_000, until: now },
        { i: 1, how: 'ip', app_id: app.app_id, value: '198.51.100.10', since: now - 86_400_000, until: now },
        { i: 2, how: 'ip', app_id: app.app_id, value: '198.51.100.10', since: now - 29_500, until: now },
      ]),
    );
    expect([0, 1, 2].map((i) => both.filter((r) => r.i === i).length)).toEqual([50, 3, 2]);
  });

  it('stores app settings and campaign windows', async () => {
    const app = await db.store.createApp({ name: 'A', platform: 'pc', store: 'steam', store_url: null });
    expect(app.settings).toEqual({
      click_window_s: null, view_window_s: null, probabilistic_window_s: null, min_ctit_s: null, max_installs_per_ip: null, blocked_cidrs: [], reinstall_after_days: null,
      re_engagement_window_s: null, re_engagement_attribution_window_s: null, inactivity_window_s: null, re_engagement_probabilistic: null, apple_development: null,
    });
    // A boolean setting is stored as 0/1 (SQLite binds no booleans) and read back as one.
    const probabilistic = await db.store.updateAppSettings(app.app_id, { re_engagement_probabilistic: true, inactivity_window_s: 0 });
    expect(probabilistic?.settings).toMatchObject({ re_engagement_probabilistic: true, inactivity_window_s: 0 });
    const updated = await db.store.updateAppSettings(app.app_id, { max_installs_per_ip: 3, blocked_cidrs: ['10.0.0.0/8', '192.0.2.0/24'] });
    expect(updated?.settings).toMatchObject({ max_installs_per_ip: 3, blocked_cidrs: ['10.0.0.0/8', '192.0.2.0/24'] });
    const reset = await db.store.updateAppSettings(app.app_id, { max_installs_per_ip: null, blocked_cidrs: [] });
    expect(reset?.settings).toMatchObject({ max_installs_per_ip: null, blocked_cidrs: [] });
    expect(await db.store.updateAppSettings(newId(), { min_ctit_s: 1 })).toBeUndefined();
  });
});

describe.skipIf(!BACKENDS.some((b) => b.name === 'postgres'))('PostgreSQL prepared statements', () => {
  it('survive a column added while the server runs (a newer version migrating)', async () => {
    const backend = BACKENDS.find((b) => b.name === 'postgres')!;
    const db = await openTestDatabase(backend);
    const client = new pg.Client({ connectionString: db.env.DATABASE_URL, options: `-c search_path=${db.env.DATABASE_SCHEMA}` });
    await client.connect();
    try {
      const app = await db.store.createApp({ name: 'p', platform: 'ios', store: 'itunes', store_url: null });
      expect(await db.store.listApps()).toHaveLength(1);
      await client.query('alter table apps add column added_later text');
      // The prepared `select *` of apps now returns another row type; it must still answer.
      for (let i = 0; i < 3; i++) expect((await db.store.listApps()).map((a) => a.app_id)).toEqual([app.app_id]);
    } finally {
      await client.end();
      await db.dispose();
    }
  });
});

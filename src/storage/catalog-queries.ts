/** The catalog's queries (CatalogStore): what the operator configures, shared by both dialects. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { App, AppSettings, Campaign, Platform, Store as Storefront, TokenInfo } from '../domain/apps.js';
import type { CampaignKind } from '../domain/attribution.js';
import type { PostbackRow } from '../domain/entities.js';
import { IP_FLOOD_WINDOW_MS } from '../domain/fraud.js';
import { newAppSignature, newId } from '../domain/ids.js';
import type { SegmentRule } from '../domain/segments.js';
import { networkSpelling } from './networks.js';
import type { AppsTable, CampaignsTable, Database, TokensTable } from './schema.js';
import type { AliasChange, AppAliases, CatalogStore, CurrencyRate, NewApp, NewCampaign, NewToken, SegmentRow, TokenGrant } from './store.js';

/** The CatalogStore over one database. */
export function catalogQueries(db: Kysely<Database>): CatalogStore {
  const catalog: CatalogStore = {
    async createApp(input: NewApp): Promise<App> {
      const row: AppsTable = {
        app_id: input.app_id ?? newId(),
        name: input.name,
        platform: input.platform,
        store: input.store,
        store_url: input.store_url,
        app_signature: input.app_signature ?? newAppSignature(),
        created_at: Date.now(),
        click_window_s: null,
        view_window_s: null,
        probabilistic_window_s: null,
        min_ctit_s: null,
        max_installs_per_ip: null,
        reinstall_after_days: null,
        blocked_cidrs: null,
        re_engagement_window_s: null,
        re_engagement_attribution_window_s: null,
        inactivity_window_s: null,
        re_engagement_probabilistic: null,
        apple_development: null,
      };
      await db.insertInto('apps').values(row).execute();
      return toApp({ ...row, has_retargeting: 0 });
    },

    async updateAppSettings(appId: string, settings: Partial<AppSettings>): Promise<App | undefined> {
      const { blocked_cidrs, re_engagement_probabilistic, apple_development, ...numbers } = settings;
      // Booleans as 0/1: SQLite binds no booleans.
      const flag = (value: boolean | null) => (value === null ? null : Number(value));
      const patch = {
        ...numbers,
        ...(blocked_cidrs === undefined ? {} : { blocked_cidrs: blocked_cidrs.join(',') || null }),
        ...(re_engagement_probabilistic === undefined ? {} : { re_engagement_probabilistic: flag(re_engagement_probabilistic) }),
        ...(apple_development === undefined ? {} : { apple_development: flag(apple_development) }),
      };
      if (Object.keys(patch).length > 0) {
        await db.transaction().execute(async (trx) => {
          const before = await trx.selectFrom('apps').select('max_installs_per_ip').where('app_id', '=', appId).executeTakeFirst();
          await trx.updateTable('apps').set(patch).where('app_id', '=', appId).execute();
          // The IP rule counts installs stored with their IP counted (migration 0011). Switched
          // on, it counts the window before too, as it would have had it always been on.
          if (before?.max_installs_per_ip === null && typeof patch.max_installs_per_ip === 'number') {
            await trx
              .updateTable('installs')
              .set({ counted_ip: sql.ref('ip') })
              .where('app_id', '=', appId)
              .where('installed_at', '>=', Date.now() - IP_FLOOD_WINDOW_MS)
              .where('ip', 'is not', null)
              // As ingest counts them: installs and reinstalls, not re-engagements.
              .where('kind', 'in', ['install', 'reinstall'])
              .execute();
          }
        });
      }
      return catalog.getApp(appId);
    },

    async setAliases(appId: string, protocol: string, change: AliasChange): Promise<boolean> {
      const taken = new Error('alias taken');
      try {
        await db.transaction().execute(async (trx) => {
          if (change.app !== undefined) {
            await trx.deleteFrom('app_aliases').where('app_id', '=', appId).where('protocol', '=', protocol).execute();
            if (change.app !== null) {
              // Another app's alias (or one set a moment ago by another process) is refused.
              const inserted = await trx
                .insertInto('app_aliases')
                .values({ protocol, alias: change.app, app_id: appId, created_at: Date.now() })
                .onConflict((oc) => oc.doNothing())
                .executeTakeFirst();
              if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw taken;
            }
          }
          for (const [alias, eventName] of Object.entries(change.events ?? {})) {
            await trx.deleteFrom('event_aliases').where('app_id', '=', appId).where('protocol', '=', protocol).where('alias', '=', alias).execute();
            if (eventName !== null) await trx.insertInto('event_aliases').values({ app_id: appId, protocol, alias, event_name: eventName }).execute();
          }
        });
      } catch (error) {
        if (error === taken) return false;
        throw error;
      }
      return true;
    },

    async findAppByAlias(protocol: string, alias: string): Promise<string | undefined> {
      const row = await db.selectFrom('app_aliases').select('app_id').where('protocol', '=', protocol).where('alias', '=', alias).executeTakeFirst();
      return row?.app_id;
    },

    async listAliases(appId: string): Promise<AppAliases> {
      const out: AppAliases = { apps: {}, events: {} };
      for (const row of await db.selectFrom('app_aliases').select(['protocol', 'alias']).where('app_id', '=', appId).orderBy('protocol').execute()) out.apps[row.protocol] = row.alias;
      const events = await db.selectFrom('event_aliases').select(['protocol', 'alias', 'event_name']).where('app_id', '=', appId).orderBy('protocol').orderBy('alias').execute();
      for (const row of events) (out.events[row.protocol] ??= {})[row.alias] = row.event_name;
      return out;
    },

    async getApp(appId: string): Promise<App | undefined> {
      const row = await db.selectFrom('apps').selectAll().select(hasRetargeting).where('app_id', '=', appId).executeTakeFirst();
      return row && toApp(row);
    },

    async listApps(): Promise<App[]> {
      const rows = await db.selectFrom('apps').selectAll().select(hasRetargeting).orderBy('created_at').orderBy('app_id').execute();
      return rows.map(toApp);
    },

    async createToken(input: NewToken): Promise<TokenInfo> {
      const row: TokensTable = {
        token_id: newId(),
        name: input.name,
        token_hash: input.token_hash,
        token_prefix: input.token_prefix,
        secret: input.secret,
        created_at: Date.now(),
        revoked_at: null,
      };
      const appIds = [...new Set(input.app_ids)];
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('tokens').values(row).execute();
        await trx
          .insertInto('token_apps')
          .values(appIds.map((app_id) => ({ token_id: row.token_id, app_id })))
          .execute();
      });
      return toTokenInfo(row, appIds);
    },

    async listTokens(): Promise<TokenInfo[]> {
      const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('token_id').execute();
      const grants = await db.selectFrom('token_apps').selectAll().orderBy('app_id').execute();
      const appsByToken = new Map<string, string[]>();
      for (const grant of grants) {
        const list = appsByToken.get(grant.token_id) ?? [];
        list.push(grant.app_id);
        appsByToken.set(grant.token_id, list);
      }
      return rows.map((row) => toTokenInfo(row, appsByToken.get(row.token_id) ?? []));
    },

    async findTokenByHash(tokenHash: string): Promise<TokenGrant | undefined> {
      const row = await db
        .selectFrom('tokens')
        .select(['token_id', 'secret', 'revoked_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      if (!row) return undefined;
      const grants = await db.selectFrom('token_apps').select('app_id').where('token_id', '=', row.token_id).execute();
      return {
        token_id: row.token_id,
        secret: row.secret,
        app_ids: grants.map((g) => g.app_id),
        revoked: row.revoked_at !== null,
      };
    },

    async revokeToken(by: { token_hash: string } | { token_id: string }): Promise<TokenInfo | undefined> {
      const now = Date.now();
      const match =
        'token_hash' in by
          ? ({ column: 'token_hash', value: by.token_hash } as const)
          : ({ column: 'token_id', value: by.token_id } as const);
      await db
        .updateTable('tokens')
        .set({ revoked_at: now })
        .where(match.column, '=', match.value)
        .where('revoked_at', 'is', null)
        .execute();
      const row = await db.selectFrom('tokens').selectAll().where(match.column, '=', match.value).executeTakeFirst();
      if (!row) return undefined;
      const grants = await db.selectFrom('token_apps').select('app_id').where('token_id', '=', row.token_id).execute();
      return toTokenInfo(
        row,
        grants.map((g) => g.app_id),
      );
    },

    async createCampaign(input: NewCampaign): Promise<Campaign> {
      const row: CampaignsTable = {
        campaign_id: newId(),
        app_id: input.app_id,
        network: await networkSpelling(db, input.app_id, input.network),
        name: input.name,
        cpi: input.cpi,
        created_at: Date.now(),
        click_window_s: input.click_window_s,
        view_window_s: input.view_window_s,
        probabilistic_window_s: input.probabilistic_window_s,
        kind: input.kind ?? 'acquisition',
        re_engagement_window_s: input.re_engagement_window_s ?? null,
        re_engagement_attribution_window_s: input.re_engagement_attribution_window_s ?? null,
      };
      await db.insertInto('campaigns').values(row).execute();
      return toCampaign(row);
    },

    async getCampaign(campaignId: string): Promise<Campaign | undefined> {
      const row = await db.selectFrom('campaigns').selectAll().where('campaign_id', '=', campaignId).executeTakeFirst();
      return row && toCampaign(row);
    },

    async listCampaigns(appId?: string): Promise<Campaign[]> {
      let query = db.selectFrom('campaigns').selectAll();
      if (appId !== undefined) query = query.where('app_id', '=', appId);
      const rows = await query.orderBy('created_at').orderBy('campaign_id').execute();
      return rows.map(toCampaign);
    },

    async createPostback(row: PostbackRow): Promise<void> {
      await db.insertInto('postbacks').values(row).execute();
    },

    async listPostbacks(appId?: string): Promise<PostbackRow[]> {
      let query = db.selectFrom('postbacks').selectAll().where('removed_at', 'is', null);
      if (appId !== undefined) query = query.where('app_id', '=', appId);
      return query.orderBy('created_at').orderBy('postback_id').execute();
    },

    async getPostback(postbackId: string): Promise<PostbackRow | undefined> {
      return db.selectFrom('postbacks').selectAll().where('postback_id', '=', postbackId).executeTakeFirst();
    },

    async removePostback(postbackId: string): Promise<boolean> {
      const result = await db
        .updateTable('postbacks')
        .set({ removed_at: Date.now() })
        .where('postback_id', '=', postbackId)
        .where('removed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    listRates(): Promise<CurrencyRate[]> {
      return db.selectFrom('currency_rates').selectAll().orderBy('currency').execute();
    },

    async setRate(currency: string, usdPerUnit: number): Promise<void> {
      const row = { currency, usd_per_unit: usdPerUnit, updated_at: Date.now() };
      await db
        .insertInto('currency_rates')
        .values(row)
        .onConflict((oc) => oc.column('currency').doUpdateSet({ usd_per_unit: usdPerUnit, updated_at: row.updated_at }))
        .execute();
    },

    async createSegment(row: SegmentRow): Promise<void> {
      await db
        .insertInto('segments')
        .values({ ...row, rules: JSON.stringify(row.rules) })
        .execute();
    },

    async getSegment(segmentId: string): Promise<SegmentRow | undefined> {
      return (await listSegments(db, { segmentId }))[0];
    },

    listSegments(appId: string): Promise<SegmentRow[]> {
      return listSegments(db, { appId });
    },
  };
  return catalog;
}

async function listSegments(db: Kysely<Database>, filter: { appId?: string; segmentId?: string }): Promise<SegmentRow[]> {
  let query = db.selectFrom('segments').selectAll().orderBy('created_at').orderBy('segment_id');
  if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
  if (filter.segmentId !== undefined) query = query.where('segment_id', '=', filter.segmentId);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, rules: JSON.parse(r.rules) as SegmentRule[] }));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** 1 when a campaign of the app is a retargeting one. */
const hasRetargeting = sql<number>`case when exists (select 1 from campaigns c where c.app_id = apps.app_id and c.kind = 'retargeting') then 1 else 0 end`.as('has_retargeting');

function toApp(row: Selectable<AppsTable> & { has_retargeting: number | string }): App {
  return {
    app_id: row.app_id,
    name: row.name,
    platform: row.platform as Platform,
    store: row.store as Storefront,
    store_url: row.store_url,
    app_signature: row.app_signature,
    settings: {
      click_window_s: row.click_window_s,
      view_window_s: row.view_window_s,
      probabilistic_window_s: row.probabilistic_window_s,
      min_ctit_s: row.min_ctit_s,
      max_installs_per_ip: row.max_installs_per_ip,
      blocked_cidrs: row.blocked_cidrs ? row.blocked_cidrs.split(',') : [],
      reinstall_after_days: row.reinstall_after_days,
      re_engagement_window_s: row.re_engagement_window_s,
      re_engagement_attribution_window_s: row.re_engagement_attribution_window_s,
      inactivity_window_s: row.inactivity_window_s,
      re_engagement_probabilistic: row.re_engagement_probabilistic === null ? null : Boolean(row.re_engagement_probabilistic),
      apple_development: row.apple_development === null ? null : Boolean(row.apple_development),
    },
    has_retargeting: Number(row.has_retargeting) > 0,
    created_at: iso(row.created_at),
  };
}

function toCampaign(row: Selectable<CampaignsTable>): Campaign {
  return {
    campaign_id: row.campaign_id,
    app_id: row.app_id,
    network: row.network,
    name: row.name,
    cpi: row.cpi,
    kind: row.kind as CampaignKind,
    click_window_s: row.click_window_s,
    view_window_s: row.view_window_s,
    probabilistic_window_s: row.probabilistic_window_s,
    re_engagement_window_s: row.re_engagement_window_s,
    re_engagement_attribution_window_s: row.re_engagement_attribution_window_s,
    created_at: iso(row.created_at),
  };
}

function toTokenInfo(row: Selectable<TokensTable>, appIds: string[]): TokenInfo {
  return {
    token_id: row.token_id,
    name: row.name,
    token_prefix: row.token_prefix,
    app_ids: appIds,
    has_secret: row.secret !== null,
    created_at: iso(row.created_at),
    revoked_at: row.revoked_at === null ? null : iso(row.revoked_at),
  };
}

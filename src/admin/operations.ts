/**
 * What an operator can do, shared by the CLI (`s2s apps create …`) and the admin API
 * (`POST /admin/apps`): same validation, same results, same errors.
 */
import { TOKEN_PREFIX_LENGTH, hashToken, newSecret, newToken } from '../auth/credentials.js';
import { defaultStore, type App, type Campaign, type TokenInfo } from '../domain/apps.js';
import { EVENT_ALIAS_PROTOCOLS } from '../domain/aliases.js';
import { isId } from '../domain/ids.js';
import { AppError, badRequest, notFound } from '../errors.js';
import type { AppAliases, CatalogStore } from '../storage/store.js';
import { parseCidr } from '../domain/fraud.js';
import { CURRENCY_PATTERN } from '../domain/currency.js';
import { AliasesInput, AppInput, AppSettingsInput, CampaignInput, TokenInput } from './schemas.js';
import { parseHttpUrl } from '../domain/urls.js';
import { validate } from './validate.js';

export interface IssuedToken {
  token_id: string;
  token: string;
  secret: string | null;
  name: string | null;
  app_ids: string[];
  created_at: string;
}

export type CampaignWithLink = Campaign & { tracking_url: string };

export async function createApp(store: CatalogStore, input: unknown): Promise<App> {
  const app = validate(AppInput, input);
  if (app.app_id !== undefined && (await store.getApp(app.app_id))) throw new AppError(409, `app_id: ${app.app_id} already exists`);
  // Parsed, not matched: a store URL that does not parse would break every click's redirect.
  if (app.store_url !== undefined) parseHttpUrl('store_url', app.store_url);
  return store.createApp({
    app_id: app.app_id,
    app_signature: app.app_signature,
    name: app.name,
    platform: app.platform,
    store: app.store ?? defaultStore(app.platform),
    store_url: app.store_url ?? null,
  });
}

/** Sets an app's attribution windows and fraud rules; only the fields given change. */
export async function configureApp(store: CatalogStore, appId: string, input: unknown): Promise<App> {
  const settings = validate(AppSettingsInput, input);
  await requireApp(store, appId, 'app_id');
  const blocked = settings.blocked_cidrs?.map((cidr) => cidr.trim());
  const bad = blocked?.find((cidr) => parseCidr(cidr) === undefined);
  if (bad !== undefined) throw badRequest(`blocked_cidrs: "${bad}" is not an IP address or CIDR range`);
  const app = await store.updateAppSettings(appId, { ...settings, ...(blocked ? { blocked_cidrs: blocked } : {}) });
  if (!app) throw notFound(`app_id: unknown app ${appId}`);
  return app;
}

/**
 * Sets an app's names in another protocol: its alias (Adjust's app token) and event aliases
 * (Adjust's event tokens → event ids); null removes one. 409 when the alias names another app.
 */
export async function configureAliases(store: CatalogStore, appId: string, input: unknown): Promise<AppAliases> {
  const change = validate(AliasesInput, input);
  if (change.events !== undefined && !EVENT_ALIAS_PROTOCOLS.includes(change.protocol)) {
    throw badRequest(`events: ${change.protocol} events carry their own names; only ${EVENT_ALIAS_PROTOCOLS.join(', ')} maps event tokens`);
  }
  await requireApp(store, appId, 'app_id');
  const done = await store.setAliases(appId, change.protocol, { app: change.app, events: change.events });
  if (!done) throw new AppError(409, `app: "${change.app}" already names another app in ${change.protocol}`);
  return store.listAliases(appId);
}

/** Issues a token (and optionally its signing secret) for the given apps; both are shown only now. */
export async function createToken(store: CatalogStore, input: unknown): Promise<IssuedToken> {
  const request = validate(TokenInput, input);
  for (const appId of request.app_ids) await requireApp(store, appId, 'app_ids');
  const token = newToken();
  const secret = request.secret ? newSecret() : null;
  const info = await store.createToken({
    name: request.name ?? null,
    token_hash: hashToken(token),
    token_prefix: token.slice(0, TOKEN_PREFIX_LENGTH),
    secret,
    app_ids: request.app_ids,
  });
  return { token_id: info.token_id, token, secret, name: info.name, app_ids: info.app_ids, created_at: info.created_at };
}

/** Revokes by the token itself or by its `token_id`. */
export async function revokeToken(store: CatalogStore, tokenOrId: string): Promise<TokenInfo> {
  const byId = isId(tokenOrId) ? await store.revokeToken({ token_id: tokenOrId }) : undefined;
  const info = byId ?? (await store.revokeToken({ token_hash: hashToken(tokenOrId) }));
  if (!info) throw notFound('token: no such token');
  return info;
}

export async function createCampaign(store: CatalogStore, publicUrl: string, input: unknown): Promise<CampaignWithLink> {
  const request = validate(CampaignInput, input);
  await requireApp(store, request.app_id, 'app_id');
  const campaign = await store.createCampaign({
    app_id: request.app_id,
    network: request.network,
    name: request.name,
    cpi: request.cpi ?? null,
    click_window_s: request.click_window_s ?? null,
    view_window_s: request.view_window_s ?? null,
    probabilistic_window_s: request.probabilistic_window_s ?? null,
    kind: request.kind ?? 'acquisition',
    re_engagement_window_s: request.re_engagement_window_s ?? null,
    re_engagement_attribution_window_s: request.re_engagement_attribution_window_s ?? null,
  });
  return withTrackingUrl(campaign, publicUrl);
}

export async function listCampaigns(store: CatalogStore, publicUrl: string, appId?: string): Promise<CampaignWithLink[]> {
  const campaigns = await store.listCampaigns(appId);
  return campaigns.map((c) => withTrackingUrl(c, publicUrl));
}

/**
 * The link a network puts behind an ad (or calls back on a click, as Chartboost does). Device
 * ids, `user_ip`, `user_ua` and publisher fields are appended by the network with its macros.
 */
export function trackingUrl(publicUrl: string, campaignId: string): string {
  return `${publicUrl}/click?campaign_id=${campaignId}`;
}

function withTrackingUrl(campaign: Campaign, publicUrl: string): CampaignWithLink {
  return { ...campaign, tracking_url: trackingUrl(publicUrl, campaign.campaign_id) };
}

async function requireApp(store: CatalogStore, appId: string, field: string): Promise<App> {
  const app = await store.getApp(appId);
  if (!app) throw notFound(`${field}: unknown app ${appId}`);
  return app;
}

/** Sets a currency's rate (USD per unit) for revenue arriving from now on. */
export async function setRate(store: CatalogStore, currency: string, rate: string | number): Promise<{ currency: string; usd_per_unit: number }> {
  const code = currency.trim().toUpperCase();
  if (!CURRENCY_PATTERN.test(code)) throw badRequest(`currency: "${currency}" is not a 3-letter currency code`);
  const value = typeof rate === 'number' ? rate : /^\s*\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(rate) ? Number(rate) : NaN;
  if (!Number.isFinite(value) || value <= 0 || value > 1e6) throw badRequest(`usd_per_unit: must be a positive number, got "${rate}"`);
  await store.setRate(code, value);
  return { currency: code, usd_per_unit: value };
}

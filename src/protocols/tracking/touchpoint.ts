import type { FastifyRequest } from 'fastify';
import type { ProtocolContext } from '../context.js';
import type { App } from '../../domain/apps.js';
import { parseIdempotencyKey } from '../../domain/idempotency.js';
import { isId, newId } from '../../domain/ids.js';
import { badRequest, notFound } from '../../errors.js';
import type { Touchpoint } from '../../domain/entities.js';
import { buildTouchpoint } from '../../ingest/touchpoints.js';
import { clientIp, clientUserAgent, optionalString, readParams, type Params } from '../params.js';
import { resolveAppAccess } from '../token-access.js';

/**
 * Turns a tracking-link hit (`/click`, `/view`) into a stored touchpoint. The campaign names
 * the app; Swaarm's web flow (`s2stoken`, no campaign) names it by token instead and mints a
 * campaignless click that identifies the visitor without crediting anyone.
 */
export async function recordTouchpoint(
  ctx: ProtocolContext,
  request: FastifyRequest,
  kind: 'click' | 'view',
): Promise<{ touchpoint: Touchpoint; app: App; params: Params }> {
  const params = readParams(request);
  const campaignId = optionalString(params, 'campaign_id', { max: 64 });
  const token = optionalString(params, 's2stoken', { max: 200 });
  let app: App | undefined;
  let campaign = null;

  if (campaignId !== undefined) {
    if (!isId(campaignId)) throw badRequest(`campaign_id: "${campaignId}" is not a campaign id (24 hex characters)`);
    campaign = (await ctx.catalog.getCampaign(campaignId)) ?? null;
    if (!campaign) throw notFound(`campaign_id: unknown campaign ${campaignId}`);
    if (token !== undefined) await resolveAppAccess(ctx, token, campaign.app_id, 401, 's2stoken');
    app = await ctx.catalog.getApp(campaign.app_id);
  } else if (token !== undefined) {
    app = (await resolveAppAccess(ctx, token, optionalString(params, 'app_id', { max: 64 }), 401, 's2stoken')).app;
  } else {
    throw badRequest('campaign_id: is required');
  }
  if (!app) throw notFound('app_id: the campaign belongs to no known app');

  const now = ctx.clock();
  const touchpoint = buildTouchpoint(
    {
      touchpointId: newId(now),
      kind,
      appId: app.app_id,
      campaign,
      time: now,
      ip: clientIp(request, params, 'user_ip'),
      userAgent: clientUserAgent(request, params, 'user_ua') ?? null,
      // Chartboost callbacks pass their own click or view id.
      networkClickId: optionalString(params, kind === 'click' ? 'click_id' : 'completed_view_id', { max: 128 }) ?? null,
    },
    params,
  );
  const { id } = await ctx.ingest.recordTouch(touchpoint, parseIdempotencyKey(request.headers['idempotency-key']));
  return { touchpoint: { ...touchpoint, touchpoint_id: id }, app, params };
}

/**
 * Where a click lands: the app's store page with the click id added, as `click_id` and as
 * `clkid` (the name Swaarm's landing pages read, seed 001), and for Google Play in the install
 * referrer, which the app reads on first launch. The URL object percent-encodes it, as
 * Chartboost requires of a 302's Location. Undefined without a store URL, or with one that
 * cannot be parsed as http(s) (store URLs are parsed when added; this is a row written around
 * that): the click is then answered with its id, as with no_redirect.
 */
export function storeRedirect(app: App, clickId: string): string | undefined {
  if (!app.store_url) return undefined;
  let url: URL;
  try {
    url = new URL(app.store_url);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  url.searchParams.set('click_id', clickId);
  url.searchParams.set('clkid', clickId);
  if (app.store === 'google_play') url.searchParams.set('referrer', `click_id=${clickId}`);
  return url.toString();
}

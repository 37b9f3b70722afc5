import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';
import type { ProtocolContext } from '../context.js';
import { dedupKey } from '../conversion.js';
import { optionalIp, optionalNumber, optionalString, optionalWholeNumber } from '../params.js';
import { adjustErrorHandler, adjustParamsObject, MAX_REVENUE, readAdjustRequest } from './adjust-http.js';
import { AdjustAdRevenueQuery, AdjustEventAnswer } from './schemas.js';

/** What the ad revenue's details may hold: names of networks, units and placements. */
const DETAIL = { max: 128 };

/**
 * Adjust `GET/POST /ad_revenue` (dev.adjust.com/en/api/s2s-api/ad-revenue): `s2s=1`,
 * `app_token`, a device id, `source` (`publisher` for S2S), `revenue` (or `amount`) with
 * `currency`, `ad_impressions_count`; optional `ad_revenue_network`, `ad_revenue_unit`,
 * `ad_revenue_placement`, `created_at_unix`/`created_at`, `ip_address`, `callback_params`.
 * URL parameters or a form body. Adjust's S2S source is always `publisher`; the SDK's sources
 * (`applovin_max_sdk`, …) are taken too, for a studio forwarding what its SDK measured. Stored as an `ad_revenue` event with its
 * details; it counts in the install's revenue and ad revenue (reports: `ad_revenue_usd`).
 */
export async function adRevenueRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/ad_revenue',
    errorHandler: adjustErrorHandler('Ad revenue'),
    schema: { tags: ['adjust'], querystring: AdjustAdRevenueQuery, response: { 200: AdjustEventAnswer } },
    handler: async (request) => {
      const { params, base, environment } = await readAdjustRequest(ctx, request, 'adjust-ad-revenue');
      const source = optionalString(params, 'source', { max: 64, pattern: /^[A-Za-z0-9_.-]+$/, hint: 'must be an ad revenue source such as publisher' });
      if (source === undefined) throw badRequest('source: is required (publisher for server-to-server ad revenue)');
      const amountKey = params.revenue === undefined && params.amount !== undefined ? 'amount' : 'revenue';
      const revenue = optionalNumber(params, amountKey, { min: 0, max: MAX_REVENUE });
      if (revenue === undefined) throw badRequest('revenue: is required (or amount)');
      const currency = optionalString(params, 'currency', { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' });
      if (currency === undefined) throw badRequest('currency: is required with revenue');
      const impressions = optionalWholeNumber(params, 'ad_impressions_count', { min: 0, max: 1e9 });
      if (impressions === undefined) throw badRequest('ad_impressions_count: is required');
      const callbackParams = adjustParamsObject(params, 'callback_params');
      await ctx.ingest.record({
        ...base,
        ip: optionalIp(params, 'ip_address'),
        event: {
          kind: 'ad_revenue',
          name: 'ad_revenue',
          revenue,
          currency: currency.toUpperCase(),
          eventValue: JSON.stringify({ environment, callback_params: callbackParams }),
          dedupKey: dedupKey(request, params),
          ad: {
            source,
            network: optionalString(params, 'ad_revenue_network', DETAIL),
            unit: optionalString(params, 'ad_revenue_unit', DETAIL),
            placement: optionalString(params, 'ad_revenue_placement', DETAIL),
            impressions,
          },
        },
      });
      return { status: 'OK' as const };
    },
  });
}

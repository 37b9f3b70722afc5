import type { FastifyInstance } from 'fastify';
import type { DeviceIds, Identity } from '../../domain/devices.js';
import { normalizeDeviceId } from '../../domain/devices.js';
import { eventDedupKey } from '../../domain/idempotency.js';
import { badRequest } from '../../errors.js';
import type { ProtocolContext } from '../context.js';
import { optionalEpochTime, optionalIp, optionalNumber, optionalString, readParams, requiredString, type Params } from '../params.js';
import { resolveAppAccess } from '../token-access.js';
import { MaxImpressionAnswer, MaxImpressionQuery } from './schemas.js';

/** What a detail may hold: names of networks, units, placements. */
const DETAIL = { max: 128 };

/**
 * AppLovin MAX's server-to-server impression revenue postback
 * (support.axon.ai/en/max/advanced-features/s2s-impression-level-api): MAX calls a URL the
 * publisher gives it, with its macros filled in, by HTTP(S) GET, once per impression, a few
 * minutes late at most. Point it at `GET /ad_revenue/max` with a template such as
 *
 *   https://HOST/ad_revenue/max?token=TOKEN&event_id={EVENT_ID}&revenue={REVENUE}&ts={TS}
 *     &idfa={IDFA}&idfv={IDFV}&user_id={USER_ID}&ip={IP}&network={NETWORK_NAME}
 *     &ad_unit_id={AD_UNIT_ID}&placement={PLACEMENT}&ad_format={AD_FORMAT}&country={CC}
 *
 * (docs/protocols.md; check the macro names against the list in your MAX account). Each
 * impression is an `ad_revenue` event of the user its device or user id names, stored once per
 * `event_id`. A macro MAX left unfilled (`{IDFV}` as sent) counts as absent.
 */
export async function impressionRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: 'GET',
    url: '/ad_revenue/max',
    schema: { tags: ['applovin'], querystring: MaxImpressionQuery, response: { 200: MaxImpressionAnswer } },
    handler: async (request) => {
      const params = withoutUnfilledMacros(readParams(request));
      const { app: target } = await resolveAppAccess(ctx, optionalString(params, 'token', { max: 200 }), optionalString(params, 'app_id', { max: 64 }), 401, 'token');
      const eventId = requiredString(params, 'event_id', { max: 128, pattern: /^[A-Za-z0-9_.:-]+$/, hint: 'must be the impression id MAX sends as {EVENT_ID}' });
      const revenue = optionalNumber(params, 'revenue', { min: 0, max: 1e9 });
      if (revenue === undefined) throw badRequest('revenue: is required ({REVENUE})');
      const currency = optionalString(params, 'currency', { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' });
      const { deviceIds, identities } = maxDevice(params, target.platform);
      const userId = optionalString(params, 'user_id', { max: 256 });
      if (userId === undefined && Object.keys(deviceIds).length === 0 && identities.length === 0) {
        throw badRequest('idfa: a device id (idfa, idfv) or user_id is required');
      }
      const now = ctx.clock();
      const details = { ad_format: optionalString(params, 'ad_format', DETAIL), country: optionalString(params, 'country', { max: 8 })?.toUpperCase() };
      await ctx.ingest.record({
        app: target,
        // `ts`: epoch seconds or milliseconds; absent, receipt.
        time: optionalEpochTime(params, 'ts', now, { pattern: /^\d+(\.\d+)?$/, hint: 'must be epoch seconds or milliseconds' }) ?? now,
        receivedAt: now,
        source: 'applovin-max',
        userId,
        deviceIds,
        extraIdentities: identities,
        ip: optionalIp(params, 'ip'),
        userAgent: undefined,
        clickIds: [],
        viewIds: [],
        event: {
          kind: 'ad_revenue',
          name: 'ad_revenue',
          revenue,
          currency: (currency ?? 'USD').toUpperCase(),
          eventValue: details.ad_format === undefined && details.country === undefined ? undefined : JSON.stringify(details),
          dedupKey: eventDedupKey(undefined, `max:${eventId}`),
          ad: {
            source: 'applovin_max',
            network: optionalString(params, 'network', DETAIL),
            unit: optionalString(params, 'ad_unit_id', DETAIL),
            placement: optionalString(params, 'placement', DETAIL),
            impressions: 1,
          },
        },
      });
      return { status: 200, message: 'OK' };
    },
  });
}

/** `{SOMETHING}` left as sent: MAX had no value for the macro. */
const UNFILLED = /^\{[A-Z_]+\}$/;

function withoutUnfilledMacros(params: Params): Params {
  const out: Params = Object.create(null);
  for (const [key, value] of Object.entries(params)) if (!(typeof value === 'string' && UNFILLED.test(value.trim()))) out[key] = value;
  return out;
}

/** `{IDFA}` carries the IDFA or the Google advertising id: which one, the app's platform says. */
function maxDevice(params: Params, platform: string): { deviceIds: DeviceIds; identities: Identity[] } {
  const deviceIds: DeviceIds = {};
  const advertisingId = normalizeDeviceId(optionalString(params, 'idfa', { max: 128 }));
  if (advertisingId !== undefined) deviceIds[platform === 'ios' ? 'idfa' : 'gaid'] = advertisingId;
  const idfv = normalizeDeviceId(optionalString(params, 'idfv', { max: 128 }));
  return { deviceIds, identities: idfv === undefined ? [] : [{ kind: 'idfv', value: idfv }] };
}


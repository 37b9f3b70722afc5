import type { FastifyInstance } from 'fastify';
import { eventKind } from '../../ingest/records.js';
import { badRequest } from '../../errors.js';
import type { ProtocolContext } from '../context.js';
import { dedupKey } from '../conversion.js';
import { optionalIp, optionalNumber, optionalString } from '../params.js';
import { ADJUST, adjustErrorHandler, adjustParamsObject, MAX_REVENUE, readAdjustRequest } from './adjust-http.js';
import { AdjustEventAnswer, AdjustEventQuery } from './schemas.js';

/**
 * Adjust `GET/POST /event` (dev.adjust.com/en/api/s2s-api/events): `s2s=1`, `app_token`,
 * `event_token`, a device id; optional `created_at_unix`/`created_at`, `ip_address`, `revenue`
 * with `currency`, `callback_params` and `partner_params` (JSON). URL parameters or a form body.
 * The event token is stored as the event id it is mapped to, else as itself. Answers
 * `{"status":"OK"}`; errors as Adjust's `{"error": "Event request failed (…)"}`.
 */
export async function eventRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/event',
    errorHandler: adjustErrorHandler('Event'),
    schema: { tags: ['adjust'], querystring: AdjustEventQuery, response: { 200: AdjustEventAnswer } },
    handler: async (request) => {
      const { params, base, environment } = await readAdjustRequest(ctx, request, 'adjust-event');
      const eventToken = optionalString(params, 'event_token', { max: 64, pattern: /^[A-Za-z0-9_.-]+$/, hint: 'must be an Adjust event token (letters and digits)' });
      if (eventToken === undefined) throw badRequest('event_token: is required');
      const revenue = optionalNumber(params, 'revenue', { min: 0, max: MAX_REVENUE });
      const currency = optionalString(params, 'currency', { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as EUR' });
      if (revenue !== undefined && currency === undefined) throw badRequest('currency: is required with revenue');
      const callbackParams = adjustParamsObject(params, 'callback_params');
      const partnerParams = adjustParamsObject(params, 'partner_params');
      const details = { event_token: eventToken, environment, callback_params: callbackParams, partner_params: partnerParams };
      await ctx.ingest.record({
        ...base,
        ip: optionalIp(params, 'ip_address'),
        event: {
          kind: eventKind(false, revenue),
          name: (await ctx.catalog.eventAlias(base.app.app_id, ADJUST, eventToken)) ?? eventToken,
          revenue,
          currency: revenue === undefined ? undefined : currency!.toUpperCase(),
          eventValue: JSON.stringify(details),
          dedupKey: dedupKey(request, params),
        },
      });
      return { status: 'OK' as const };
    },
  });
}

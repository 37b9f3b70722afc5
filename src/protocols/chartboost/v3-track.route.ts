import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { badRequest } from '../../errors.js';
import { dedupKey, detailsJson } from '../conversion.js';
import { isPlainObject, optionalNumber, optionalString, requiredString } from '../params.js';
import { chartboostErrorHandler, requireDevice, signedBody, verifySigned } from './chartboost-http.js';
import { ChartboostAnswer, V3TrackBody } from './schemas.js';

const PATH = '/event_service/v3/track';

/**
 * Chartboost Post-Install Analytics `POST /event_service/v3/track` (seed 003): a signed in-app
 * purchase. `iap` carries product_id, price and a 3-letter currency; each is a purchase with
 * revenue for payer %, ARPU and ARPPU.
 */
export async function v3TrackRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.post(
    PATH,
    {
      schema: { tags: ['chartboost'], body: V3TrackBody, response: { 200: ChartboostAnswer } },
      errorHandler: chartboostErrorHandler(false),
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const params = signedBody(request);
      const { app: target } = await verifySigned(ctx, request, params, 'pia');
      const deviceIds = requireDevice(params, ['ifa', 'gaid', 'fire_adid', 'uuid']);
      if (params.iap === undefined || params.iap === null) throw badRequest('iap: is required');
      if (!isPlainObject(params.iap)) throw badRequest('iap: must be an object with product_id, price and currency');
      const iap = params.iap;
      const productId = prefixed(() => requiredString(iap, 'product_id', { max: 256 }));
      if (typeof iap.price !== 'number') throw badRequest(iap.price === undefined ? 'iap.price: is required' : 'iap.price: must be a number');
      const price = prefixed(() => optionalNumber(iap, 'price', { min: 0, max: 1e9 }))!;
      const currency = prefixed(() => requiredString(iap, 'currency', { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' }));
      const clickId = optionalString(params, 'click_id', { max: 64 });
      const viewId = optionalString(params, 'completed_view_id', { max: 64 });
      const details = detailsJson({
        localized_title: optionalString(iap, 'localized_title', { max: 500 }),
        localized_description: optionalString(iap, 'localized_description', { max: 2000 }),
        click_id: clickId,
        completed_view_id: viewId,
        match_type: optionalString(params, 'match_type', { max: 200 }),
      });
      const now = ctx.clock();
      await ctx.ingest.record({
        app: target,
        time: now,
        receivedAt: now,
        source: 'chartboost-v3-track',
        deviceIds,
        clickIds: clickId === undefined ? [] : [clickId],
        viewIds: viewId === undefined ? [] : [viewId],
        event: {
          kind: 'purchase',
          name: 'iap',
          productId,
          revenue: price,
          currency: currency.toUpperCase(),
          eventValue: details,
          dedupKey: dedupKey(request, params),
        },
      });
      return { status: 200, message: 'OK' };
    },
  );
}

/** Names fields of the `iap` object as `iap.<field>` in error messages. */
function prefixed<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Error) error.message = `iap.${error.message}`;
    throw error;
  }
}

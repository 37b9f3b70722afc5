import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ProtocolContext } from '../context.js';
import { flag } from '../params.js';
import { TouchpointAnswer, TrackingQuery } from './schemas.js';
import { recordTouchpoint, storeRedirect } from './touchpoint.js';

/**
 * `GET /click`: the tracking link behind an ad, also called server-to-server by networks
 * (Chartboost Callbacks, with the device IP in X-Forwarded-For). Records the click, then
 * sends the user on to the store with a 302, or answers `{"id": …}` with `no_redirect=true`
 * (Swaarm's web flow) or when the app has no store URL (or one that cannot be parsed).
 */
export async function clickRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/click',
    schema: {
      tags: ['tracking'],
      querystring: TrackingQuery,
      response: { 200: TouchpointAnswer, 302: Type.Null({ description: 'to the store page, click id added' }) },
    },
    handler: async (request, reply) => {
      const { touchpoint, app: target, params } = await recordTouchpoint(ctx, request, 'click');
      const location = flag(params, 'no_redirect') ? undefined : storeRedirect(target, touchpoint.touchpoint_id);
      if (location === undefined) {
        if (target.store_url && !flag(params, 'no_redirect')) request.log.warn({ app_id: target.app_id }, "the app's store_url cannot be parsed: answering the click id instead of a redirect");
        return { id: touchpoint.touchpoint_id };
      }
      return reply.code(302).header('location', location).header('cache-control', 'no-store').send();
    },
  });
}

import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { TouchpointAnswer, TrackingQuery } from './schemas.js';
import { recordTouchpoint } from './touchpoint.js';

/** `GET /view`: a completed view (view-through attribution, 24 h window by default). */
export async function viewRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/view',
    schema: { tags: ['tracking'], querystring: TrackingQuery, response: { 200: TouchpointAnswer } },
    handler: async (request) => {
      const { touchpoint } = await recordTouchpoint(ctx, request, 'view');
      return { id: touchpoint.touchpoint_id };
    },
  });
}

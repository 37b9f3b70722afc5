import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { readSwaarmEvent } from './swaarm-event.js';
import { optionalIp, optionalString, readParams, requiredString, readDeviceIds } from '../params.js';
import { OkAnswer, SwaarmEventQuery } from './schemas.js';
import { swaarmAccess } from './swaarm-auth.js';

/**
 * Swaarm `GET/POST /postback` (seed 001): a backend event of a user. `user_id` and `event_id`
 * are required (400), a bad token is 401. A user seen here first is installed and attributed
 * like anywhere else; its `user_id` may be a click id (Swaarm's web flow).
 */
export async function postbackRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/postback',
    schema: { tags: ['swaarm'], querystring: SwaarmEventQuery, response: { 200: OkAnswer } },
    handler: async (request) => {
      const params = readParams(request);
      const { app: target } = await swaarmAccess(ctx, request, params, 's2s_token');
      const userId = requiredString(params, 'user_id', { max: 256 });
      const eventId = requiredString(params, 'event_id', { max: 256 });
      // Read before the write so that a bad field refuses the request.
      const event = readSwaarmEvent(request, params, eventId);
      const now = ctx.clock();
      await ctx.ingest.record({
        app: target,
        time: now,
        receivedAt: now,
        source: 'swaarm-postback',
        userId,
        deviceIds: readDeviceIds(params),
        // Server to server: the connection is the sender's backend, never the device, so the
        // device's IP and user agent come from parameters only.
        ip: optionalIp(params, 'ip_address') ?? optionalIp(params, 'user_ip'),
        userAgent: optionalString(params, 'user_agent', { max: 1024 }) ?? optionalString(params, 'user_ua', { max: 1024 }),
        clickIds: [userId, ...clickIdParams(params)],
        viewIds: [],
        event,
      });
      return { status: 200, message: 'OK' };
    },
  });
}

/** Click ids a sender may pass by name besides `user_id`. */
export function clickIdParams(params: Record<string, unknown>): string[] {
  return ['click_id', 'clkid'].map((k) => optionalString(params, k, { max: 64 })).filter((v): v is string => v !== undefined);
}

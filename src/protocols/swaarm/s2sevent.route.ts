import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { readSwaarmEvent } from './swaarm-event.js';
import { optionalString, readParams, requiredString, optionalIp, readDeviceIds } from '../params.js';
import { badRequest } from '../../errors.js';
import { clickIdParams } from './postback.route.js';
import { S2sEventAnswer, SwaarmEventQuery } from './schemas.js';
import { swaarmAccess } from './swaarm-auth.js';

/**
 * Swaarm `GET/POST /s2sevent` (seed 001): attribution "using the same process as the mobile
 * SDKs" — click id, device id, then IP + user agent, which are therefore required. A blank
 * `event_id` only identifies (and, the first time, installs) the user; `__open` is a session.
 */
export async function s2sEventRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/s2sevent',
    schema: { tags: ['swaarm'], querystring: SwaarmEventQuery, response: { 200: S2sEventAnswer } },
    handler: async (request) => {
      const params = readParams(request);
      const { app: target } = await swaarmAccess(ctx, request, params, 'token');
      const userId = requiredString(params, 'user_id', { max: 256 });
      const ip = optionalIp(params, 'user_ip');
      if (ip === undefined) throw badRequest('user_ip: is required');
      const userAgent = requiredString(params, 'user_ua', { max: 1024 });
      const eventId = optionalString(params, 'event_id', { max: 256 });
      const event = eventId === undefined ? undefined : readSwaarmEvent(request, params, eventId);
      const now = ctx.clock();
      const outcome = await ctx.ingest.record({
        app: target,
        time: now,
        receivedAt: now,
        source: 'swaarm-s2sevent',
        userId,
        deviceIds: readDeviceIds(params),
        ip,
        userAgent,
        clickIds: [userId, ...clickIdParams(params)],
        viewIds: [],
        event,
      });
      const a = outcome.attribution;
      return {
        status: 200,
        message: 'OK',
        attribution: { status: a.status, match_type: a.match_type, campaign_id: a.campaign_id, network: a.network, click_id: a.click_id },
      };
    },
  });
}

import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { optionalIp } from '../params.js';
import { adjustErrorHandler, readAdjustRequest } from './adjust-http.js';
import { AdjustSessionAnswer, AdjustSessionQuery } from './schemas.js';

/**
 * Adjust `POST /session` (dev.adjust.com/en/api/s2s-api/sessions): `s2s=1`, `app_token`, a
 * device id, `created_at_unix`; the device's IP in `X-Adjust-Forwarded-For` (or `ip_address`).
 * A form body, as Adjust documents; URL parameters and GET work too. The first session of a
 * device is its install, attributed as every install is; the answer says which, as Adjust's
 * does (`"message": "Install tracked"` or `"Session tracked"`). Every session is stored: Adjust
 * merges sessions less than 30 minutes apart, this server counts each.
 */
export async function sessionRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: '/session',
    errorHandler: adjustErrorHandler('Session'),
    schema: { tags: ['adjust'], querystring: AdjustSessionQuery, response: { 200: AdjustSessionAnswer } },
    handler: async (request) => {
      const { params, base, environment } = await readAdjustRequest(ctx, request, 'adjust-session');
      // The header Adjust documents for the device's IP; its first address if a list.
      const forwarded = request.headers['x-adjust-forwarded-for'];
      const fromHeader = typeof forwarded === 'string' ? optionalIp({ 'x-adjust-forwarded-for': forwarded.split(',')[0]!.trim() }, 'x-adjust-forwarded-for') : undefined;
      const outcome = await ctx.ingest.record({
        ...base,
        ip: fromHeader ?? optionalIp(params, 'ip_address'),
        event: { kind: 'open', name: 'session', eventValue: JSON.stringify({ environment }) },
      });
      return {
        app_token: String(params.app_token).trim(),
        adid: outcome.userPk,
        timestamp: `${new Date(base.receivedAt).toISOString()}+0000`,
        message: outcome.newUser ? 'Install tracked' : 'Session tracked',
      };
    },
  });
}

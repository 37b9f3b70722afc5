import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { badRequest } from '../../errors.js';
import { detailsJson } from '../conversion.js';
import { optionalString, readParams } from '../params.js';
import { resolveAppAccess } from '../token-access.js';
import { chartboostErrorHandler, requireDevice } from './chartboost-http.js';
import { ChartboostAnswer, ChartboostQuery } from './schemas.js';

const PATH = '/api/v2/open';

/**
 * Chartboost `GET/POST /api/v2/open` (seed 003): every launch of every device, attributed or
 * not — a session for retention and a known device for negative targeting. With
 * `rejected_reason` and a click or view id, the install credited to that touch is rejected.
 */
export async function v2OpenRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: PATH,
    schema: { tags: ['chartboost'], querystring: ChartboostQuery, response: { 200: ChartboostAnswer } },
    errorHandler: chartboostErrorHandler(false),
    handler: async (request) => {
      const params = readParams(request);
      const token = optionalString(params, 'token', { max: 200 });
      const appId = optionalString(params, 'app_id', { max: 64 });
      if (token !== undefined && appId === undefined) throw badRequest('app_id: is required');
      const { app: target } = await resolveAppAccess(ctx, token, appId, 403, 'token');
      const deviceIds = requireDevice(params, ['idfa', 'gaid', 'uuid', 'fire_adid']);
      const clickId = optionalString(params, 'click_id', { max: 64 });
      const viewId = optionalString(params, 'completed_view_id', { max: 64 });
      const rejectedReason = optionalString(params, 'rejected_reason', { max: 200 });
      const rejectedValue = optionalString(params, 'rejected_value', { max: 1000 });
      if (rejectedReason !== undefined && clickId === undefined && viewId === undefined) {
        throw badRequest('click_id: a rejected install needs its click_id or completed_view_id');
      }
      // Click and view ids also drive attribution; all five are kept with the open as sent.
      const details = detailsJson({
        click_id: clickId,
        completed_view_id: viewId,
        tracking_id: optionalString(params, 'tracking_id', { max: 200 }),
        version: optionalString(params, 'version', { max: 200 }),
        match_type: optionalString(params, 'match_type', { max: 200 }),
      });
      const now = ctx.clock();
      await ctx.ingest.record({
        app: target,
        time: now,
        receivedAt: now,
        source: 'chartboost-v2-open',
        deviceIds,
        clickIds: clickId === undefined ? [] : [clickId],
        viewIds: viewId === undefined ? [] : [viewId],
        event: { kind: 'open', name: 'open', eventValue: details },
        rejection:
          rejectedReason === undefined
            ? undefined
            : { touchpointIds: [clickId, viewId].filter((v): v is string => v !== undefined), reason: rejectedReason, value: rejectedValue ?? null },
      });
      return { message: 'Bootup request received!', status: 200 };
    },
  });
}

import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import type { Decision } from '../../domain/attribution.js';
import { deviceIdsFrom } from '../../domain/devices.js';
import { isId } from '../../domain/ids.js';
import { badRequest, notFound } from '../../errors.js';
import { optionalString, readParams } from '../params.js';
import { resolveAppAccess } from '../token-access.js';
import { chartboostErrorHandler } from './chartboost-http.js';
import { ChartboostAnswer, ChartboostQuery } from './schemas.js';

const PATH = '/api/v2/attributed_install';
const DAY_MS = 86_400_000;
/** Seed 003: clicks are validated up to 21 days, completed views up to 7. */
const CLICK_MAX_DAYS = 21;
const VIEW_MAX_DAYS = 7;

/**
 * Chartboost `GET/POST /api/v2/attributed_install` (seed 003): an install the MMP attributed
 * to one of our clicks (or completed views). The click wins when both come; blank counts as
 * absent; a replay answers 200 and counts once (the install is known by its click id).
 */
export async function v2AttributedInstallRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: ['GET', 'POST'],
    url: PATH,
    schema: { tags: ['chartboost'], querystring: ChartboostQuery, response: { 200: ChartboostAnswer } },
    errorHandler: chartboostErrorHandler(false),
    handler: async (request) => {
      const params = readParams(request);
      const clickId = optionalString(params, 'click_id', { max: 64 });
      const viewId = optionalString(params, 'completed_view_id', { max: 64 });
      const field = clickId !== undefined ? 'click_id' : 'completed_view_id';
      const id = clickId ?? viewId;
      if (id === undefined) throw badRequest('click_id: click_id or completed_view_id is required');
      const kind = clickId !== undefined ? 'click' : 'view';
      if (!isId(id)) throw notFound(`${field}: "${id}" is not a ${kind} id of this server`);
      const touch = await ctx.touchpoints.get(id);
      if (!touch || touch.kind !== kind) throw notFound(`${field}: unknown ${kind} ${id}`);
      const { app: target } = await resolveAppAccess(ctx, optionalString(params, 'token', { max: 200 }), touch.app_id, 403, 'token');

      const now = ctx.clock();
      const maxDays = kind === 'click' ? CLICK_MAX_DAYS : VIEW_MAX_DAYS;
      const ageDays = (now - touch.created_at) / DAY_MS;
      if (ageDays > maxDays) {
        throw badRequest(`${field}: the ${kind} is ${Math.floor(ageDays)} days old; ${kind}s are accepted up to ${maxDays} days after they happen`);
      }
      const decision: Decision = {
        status: 'attributed',
        // Chartboost's claim on its own click or view: taken as given, nothing matched here.
        match_type: 'claimed',
        campaign_id: touch.campaign_id,
        network: touch.network,
        touchpoint_id: touch.touchpoint_id,
        touchpoint_kind: touch.kind,
        touched_at: touch.created_at,
      };
      await ctx.ingest.record({
        app: target,
        time: now,
        receivedAt: now,
        source: 'chartboost-v2-attributed-install',
        deviceIds: deviceIdsFrom({ ...touch }),
        clickIds: [],
        viewIds: [],
        extraIdentities: [{ kind: 'click_id', value: touch.touchpoint_id }],
        senderAttribution: decision,
      });
      return { message: 'Install request received!', status: 200 };
    },
  });
}

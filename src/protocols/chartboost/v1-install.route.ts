import type { FastifyInstance } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { ORGANIC, type Decision } from '../../domain/attribution.js';
import { optionalEventTime, optionalString } from '../params.js';
import { chartboostErrorHandler, requireDevice, signedBody, verifySigned, zeroOrOne } from './chartboost-http.js';
import { ChartboostAnswer, V1InstallBody } from './schemas.js';

const PATH = '/api/v1/install.json';

/**
 * Chartboost v1 `POST /api/v1/install.json` (seed 004): every install an MMP saw, signed;
 * `claim=1` credits the network, `claim=0` records it as not ours (organic or another
 * network's) — still a known device for negative targeting. The HTTP status is always 200;
 * the real one is in the body.
 */
export async function v1InstallRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.post(
    PATH,
    {
      schema: { tags: ['chartboost'], body: V1InstallBody, response: { 200: ChartboostAnswer } },
      errorHandler: chartboostErrorHandler(true),
      // The body is validated by the handler, after the signature: the schema documents it.
      validatorCompiler: () => () => true,
    },
    async (request) => {
      const params = signedBody(request);
      const { app: target } = await verifySigned(ctx, request, params, 'attribution');
      const claim = zeroOrOne(params, 'claim', true);
      const deviceIds = requireDevice(params, ['gaid', 'ifa', 'uuid']);
      const organic = zeroOrOne(params, 'organic', false);
      const attributedTo = optionalString(params, 'attributed_to', { max: 100 });
      const now = ctx.clock();
      const time = optionalEventTime(params, 'timestamp', now);
      const decision: Decision =
        claim === 1
          ? { ...ORGANIC, status: 'attributed', match_type: 'claimed', network: attributedTo ?? 'chartboost' }
          : { ...ORGANIC, network: organic === 1 ? null : (attributedTo ?? null) };
      await ctx.ingest.record({
        app: target,
        time: time ?? now,
        receivedAt: now,
        source: 'chartboost-v1',
        deviceIds,
        clickIds: [],
        viewIds: [],
        senderAttribution: decision,
      });
      return { status: 200, message: 'Attribution request received' };
    },
  );
}

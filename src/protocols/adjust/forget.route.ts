import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';
import type { ProtocolContext } from '../context.js';
import { optionalString, readParams } from '../params.js';
import { adjustAccess, adjustErrorHandler } from './adjust-http.js';
import { AdjustEventAnswer } from './schemas.js';

/** The device ids Adjust's erasure request takes (dev.adjust.com/en/api/s2s-api/data-erasure-api), and the Android ones its S2S API also knows. */
const DEVICE_PARAMS = ['idfa', 'idfv', 'gps_adid', 'fire_adid', 'win_adid', 'adid', 'android_id', 'oaid'] as const;

/**
 * Adjust's `POST /gdpr_forget_device` (dev.adjust.com/en/api/s2s-api/data-erasure-api): `s2s=1`,
 * `app_token` and the device's id, the token in `Authorization: Bearer`. Forgets that device's
 * user of that app only, as `s2s forget` does (storage/erasure-queries.ts), and answers 200
 * once the erasure is committed.
 */
export async function forgetRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: 'POST',
    url: '/gdpr_forget_device',
    errorHandler: adjustErrorHandler('Erasure'),
    schema: { tags: ['adjust'], response: { 200: AdjustEventAnswer } },
    handler: async (request) => {
      const params = readParams(request);
      const target = await adjustAccess(ctx, request, params);
      const devices = DEVICE_PARAMS.map((key) => optionalString(params, key, { max: 256 })).filter((v): v is string => v !== undefined);
      if (devices.length === 0) throw badRequest(`idfa: a device id is required (${DEVICE_PARAMS.join(', ')})`);
      await ctx.privacy.forget(target.app_id, { devices, userIds: [] }, 'adjust');
      return { status: 'OK' };
    },
  });
}

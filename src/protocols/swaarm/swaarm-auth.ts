import type { FastifyRequest } from 'fastify';
import type { ProtocolContext } from '../context.js';
import { optionalString, type Params } from '../params.js';
import { resolveAppAccess, type AppAccess } from '../token-access.js';

/**
 * Swaarm's token: the `Authorization` header (the bare token, as the seed shows, or
 * `Bearer <token>`), else the `s2s_token` parameter (`token` on /s2sevent). 401 when invalid.
 */
export function swaarmAccess(ctx: ProtocolContext, request: FastifyRequest, params: Params, paramName: string): Promise<AppAccess> {
  const header = request.headers.authorization?.replace(/^Bearer\s+/i, '').trim();
  const token = header || optionalString(params, paramName, { max: 200 });
  return resolveAppAccess(ctx, token, optionalString(params, 'app_id', { max: 64 }), 401, header ? 'authorization' : paramName);
}

import type { FastifyRequest } from 'fastify';
import type { ProtocolContext } from './context.js';
import type { App } from '../domain/apps.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { isId } from '../domain/ids.js';

export interface AppAccess {
  app: App;
  tokenId: string;
  secret: string | null;
}

/**
 * Resolves the app a token writes to and checks the grant. `appId` is the request's own
 * app id when the protocol carries one (Chartboost); Swaarm and TRACKS carry none, so a token
 * granted one app means that app, and a token granted several needs an `app_id` parameter.
 * `deniedStatus` is the protocol's: 401 for Swaarm and TRACKS, 403 for Chartboost.
 */
export async function resolveAppAccess(
  ctx: ProtocolContext,
  token: string | undefined,
  appId: string | undefined,
  deniedStatus: 401 | 403,
  tokenField: string,
): Promise<AppAccess> {
  if (appId !== undefined && !isId(appId)) throw badRequest(`app_id: "${appId}" is not an app id (24 hex characters)`);
  if (!token) throw new AppError(deniedStatus, `${tokenField}: is required`);
  if (appId !== undefined && !(await ctx.catalog.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  const result = await ctx.tokens.authorize(token, appId);
  if (!result.ok) {
    if (result.reason === 'forbidden_app') throw new AppError(403, `app_id: this token may not write to app ${appId}`);
    const why = result.reason === 'missing' ? 'is required' : result.reason === 'revoked' ? 'has been revoked' : 'is not a valid token';
    throw new AppError(deniedStatus, `${tokenField}: ${why}`);
  }
  if (!ctx.rateLimiter.take(result.tokenId)) {
    throw new AppError(429, `${tokenField}: rate limit of ${ctx.rateLimiter.perSecond} requests per second exceeded`, { 'retry-after': '1' });
  }
  let id = appId;
  if (id === undefined) {
    const grant = await ctx.tokens.grantedApps(token!);
    if (grant.length !== 1) throw badRequest('app_id: is required (this token may write to several apps)');
    id = grant[0]!;
  }
  const app = await ctx.catalog.getApp(id);
  if (!app) throw notFound(`app_id: unknown app ${id}`);
  return { app, tokenId: result.tokenId, secret: result.secret };
}

/**
 * The token of an `Authorization: Bearer <token>` header (Adjust's S2S API, forwarded Apple
 * postbacks): undefined when there is no header, a 401 naming the header when it is another
 * shape.
 */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const token = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] : undefined;
  if (token === undefined) throw new AppError(401, 'authorization: must be "Bearer <token>"');
  return token;
}

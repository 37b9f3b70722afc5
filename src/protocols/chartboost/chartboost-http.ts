import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ProtocolContext } from '../context.js';
import type { DeviceIds } from '../../domain/devices.js';
import { badRequest, forbidden } from '../../errors.js';
import { describeError, logError } from '../../http/error-handler.js';
import { isPlainObject, optionalString, type Params, readDeviceIds } from '../params.js';
import { resolveAppAccess, type AppAccess } from '../token-access.js';
import { signatureMatches, signChartboost, type ChartboostAction } from './signature.js';

/** The status codes of seed 003's error table (and 429 for the rate limit); anything else a client did wrong is a 400. */
const CHARTBOOST_STATUSES = new Set([400, 403, 404, 405, 413, 429, 500, 503]);

/**
 * Chartboost's error shape for a route: `{"status": N, "message": "…"}` with N from seed 003's
 * table. `alwaysOk` is v1's rule (seed 004): the HTTP status is always 200 and the real one
 * travels in the body. A wrong method's 405 takes the same shape (http/error-handler.ts).
 */
export function chartboostErrorHandler(alwaysOk: boolean) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const answer = describeError(error);
    if (!CHARTBOOST_STATUSES.has(answer.status)) answer.status = answer.status < 500 ? 400 : 500;
    logError(request, error, answer);
    void reply
      .code(alwaysOk ? 200 : answer.status)
      .headers(answer.headers)
      .send({ status: answer.status, message: answer.message });
  };
}

/**
 * A signed request's parameters: the JSON object body, whose raw bytes the signature covers.
 * The query string is not signed, so any parameter there is refused rather than read: else one
 * captured request could be replayed with another network, date, click or transaction id.
 */
export function signedBody(request: FastifyRequest): Params {
  const query = isPlainObject(request.query) ? Object.keys(request.query) : [];
  if (query.length > 0) {
    const name = /^[\w.\-[\]]{1,64}$/.test(query[0]!) ? query[0]! : 'query';
    throw badRequest(`${name}: not allowed in the query string; a signed request carries its parameters in the signed body only`);
  }
  // The header would pick the dedup key, and it is not signed: the body's transaction_id is.
  if (request.headers['idempotency-key'] !== undefined) {
    throw badRequest('idempotency-key: not allowed on a signed request; the signed body\'s transaction_id or event_uid is its key');
  }
  if (!isPlainObject(request.body)) throw badRequest('body: must be a JSON object');
  return Object.assign(Object.create(null) as Params, request.body);
}

/**
 * Checks `X-Chartboost-Token` for the body's app and `X-Chartboost-Signature` over the raw
 * body; 403 on any failure, 404 for an unknown app, 400 for a missing or malformed app_id.
 */
export async function verifySigned(ctx: ProtocolContext, request: FastifyRequest, params: Params, action: ChartboostAction): Promise<AppAccess> {
  const token = header(request, 'x-chartboost-token');
  if (token === undefined) throw forbidden('x-chartboost-token: is required');
  const appId = optionalString(params, 'app_id', { max: 64 });
  if (appId === undefined) throw badRequest('app_id: is required');
  const access = await resolveAppAccess(ctx, token, appId, 403, 'x-chartboost-token');
  if (access.secret === null) throw forbidden('x-chartboost-token: this token has no signing secret (issue one with `s2s tokens create --secret`)');
  const expected = signChartboost(action, access.secret, access.app.app_signature, request.rawBody ?? Buffer.alloc(0));
  if (!signatureMatches(header(request, 'x-chartboost-signature'), expected)) {
    throw forbidden('x-chartboost-signature: does not match the request (sha256 of action, secret, app signature and the raw body)');
  }
  return access;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** Device ids, at least one of `kinds` required (the message lists them). */
export function requireDevice(params: Params, kinds: string[]): DeviceIds {
  const ids = readDeviceIds(params);
  if (Object.keys(ids).length === 0) throw badRequest(`${kinds[0]}: at least one device id (${kinds.join(', ')}) is required`);
  return ids;
}

/** An integer flag that must be 0 or 1 (v1's `claim`, `organic`). */
export function zeroOrOne(params: Params, key: string, required: boolean): 0 | 1 | undefined {
  const raw = params[key];
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw badRequest(`${key}: is required (0 or 1)`);
    return undefined;
  }
  if (raw === 0 || raw === '0' || raw === false) return 0;
  if (raw === 1 || raw === '1' || raw === true) return 1;
  throw badRequest(`${key}: must be 0 or 1`);
}

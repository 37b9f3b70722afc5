/**
 * What Adjust's S2S endpoints share: who is asking (the app token names the app, a Bearer token
 * authorizes), the device ids, the event time, the JSON parameter objects, and Adjust's error
 * shape. Rules from dev.adjust.com/en/api/s2s-api (device ids, errors),
 * /api/s2s-api/events (parameters, created_at) and /api/s2s-api/sessions.
 */
import type { FastifyRequest } from 'fastify';
import type { App } from '../../domain/apps.js';
import type { DeviceIds, Identity } from '../../domain/devices.js';
import { normalizeDeviceId } from '../../domain/devices.js';
import { futureTimeProblem, MIN_EPOCH_SECONDS } from '../../domain/times.js';
import { AppError, badRequest } from '../../errors.js';
import { vendorErrorHandler } from '../../http/error-handler.js';
import type { ProtocolContext } from '../context.js';
import type { ConversionRecord } from '../../ingest/records.js';
import { isPlainObject, optionalEpochTime, optionalString, readParams, type Params } from '../params.js';
import { bearerToken, resolveAppAccess } from '../token-access.js';

export const ADJUST = 'adjust';

/** Adjust's revenue limit (dev.adjust.com/en/api/s2s-api: "Invalid revenue … limit = 100,000,000,000"). */
export const MAX_REVENUE = 100_000_000_000;

/**
 * Device ids Adjust accepts (dev.adjust.com/en/api/s2s-api, "Device identifiers"): the
 * advertising ids match clicks; the backup ids (and `adid`, Adjust's own) only name the user.
 */
const ADVERTISING_IDS = { idfa: 'idfa', gps_adid: 'gaid', fire_adid: 'fire_adid' } as const;
const OTHER_IDS = { oaid: 'oaid', web_uuid: 'web_uuid', idfv: 'idfv', android_id: 'android_id', adid: 'adjust_adid' } as const;
export const ADJUST_DEVICE_PARAMS = [...Object.keys(ADVERTISING_IDS), ...Object.keys(OTHER_IDS)];

/**
 * The documented reason (dev.adjust.com/en/api/s2s-api, "Event submission responses") for an
 * error, by its status and the field it names; the answer also carries our `message`.
 */
function reasonOf(status: number, message: string): string {
  const field = /^([\w.-]+):/.exec(message)?.[1];
  if (status === 401) return 'Failed to authorize request';
  if (status === 413) return 'Request size too large';
  if (status === 404) return field === 'app_token' ? 'App token not found' : field !== undefined && ADJUST_DEVICE_PARAMS.includes(field) ? 'Device not found' : 'Not found';
  if (status === 405) return 'Method not allowed';
  if (status === 429) return 'Too many requests';
  if (status >= 500) return 'Internal error, contact your operator';
  if (field === 'app_token') return 'Invalid app token';
  if (field === 'event_token') return 'Invalid event token';
  if (field === 'revenue' || field === 'amount' || field === 'currency') return 'Invalid revenue';
  if (field === 'callback_params' || field === 'partner_params') return 'Invalid callback parameters';
  return 'Bad event state';
}

/**
 * Adjust's error shape, `{"error": "Event request failed (Invalid app token)"}`, with this
 * server's `status` and `message` (which names the field) beside it. `what` is the request kind.
 */
export function adjustErrorHandler(what: 'Event' | 'Session' | 'Ad revenue' | 'Erasure') {
  return vendorErrorHandler((status, message) => ({ error: `${what} request failed (${reasonOf(status, message)})` }));
}

/**
 * The app the `app_token` names (set with `s2s apps configure --adjust-app-token`), once the
 * `Authorization: Bearer <token>` header carries a token granted that app. `s2s=1` is required
 * as Adjust requires it.
 */
export async function adjustAccess(ctx: ProtocolContext, request: FastifyRequest, params: Params): Promise<App> {
  const s2s = optionalString(params, 's2s', { max: 8 });
  if (s2s !== '1') throw badRequest(`s2s: ${s2s === undefined ? 'is required' : 'must be 1'} (server-to-server requests carry s2s=1)`);
  const appToken = optionalString(params, 'app_token', { max: 64, pattern: /^[A-Za-z0-9_.-]+$/, hint: 'must be an Adjust app token (letters and digits)' });
  if (appToken === undefined) throw badRequest('app_token: is required');
  const app = await ctx.catalog.appByAlias(ADJUST, appToken);
  if (!app) throw new AppError(404, `app_token: no app has Adjust app token ${appToken} (s2s apps configure --adjust-app-token)`);
  return (await resolveAppAccess(ctx, bearerToken(request), app.app_id, 401, 'authorization')).app;
}

/**
 * What every Adjust request carries, read in the order Adjust checks it: the app and its
 * authorization, then the device, the time and the environment. `base` is the conversion
 * record they make; the route adds its IP and event.
 */
export async function readAdjustRequest(ctx: ProtocolContext, request: FastifyRequest, source: string) {
  const params = readParams(request);
  const app = await adjustAccess(ctx, request, params);
  const { deviceIds, identities } = adjustDevice(params);
  const now = ctx.clock();
  const base = {
    app,
    time: adjustTime(params, now),
    receivedAt: now,
    source,
    deviceIds,
    extraIdentities: identities,
    userAgent: undefined,
    clickIds: [],
    viewIds: [],
  } satisfies Omit<ConversionRecord, 'ip'>;
  return { params, base, environment: adjustEnvironment(params) };
}

/** The device ids: advertising ids for attribution, the others as identities. At least one (404 "Device not found" otherwise). */
export function adjustDevice(params: Params): { deviceIds: DeviceIds; identities: Identity[] } {
  const deviceIds: DeviceIds = {};
  const identities: Identity[] = [];
  for (const [param, kind] of Object.entries(ADVERTISING_IDS)) {
    const value = normalizeDeviceId(optionalString(params, param, { max: 128 }));
    if (value !== undefined) deviceIds[kind] = value;
  }
  for (const [param, kind] of Object.entries(OTHER_IDS)) {
    const value = normalizeDeviceId(optionalString(params, param, { max: 128 }));
    if (value !== undefined) identities.push({ kind, value });
  }
  if (Object.keys(deviceIds).length === 0 && identities.length === 0) {
    throw new AppError(404, `idfa: at least one device id (${ADJUST_DEVICE_PARAMS.join(', ')}) is required`);
  }
  return { deviceIds, identities };
}

const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)Z?(?:([+-]\d{2}):?(\d{2}))?$/;

/**
 * When it happened, in epoch ms: `created_at_unix` (epoch seconds; Adjust's session example sends
 * milliseconds, taken as such) or `created_at` (ISO 8601, e.g. `2017-01-02T15:04:05.000+0000`,
 * offsets with or without a colon). Absent: now. Refused when more than an hour ahead.
 */
export function adjustTime(params: Params, now: number): number {
  const unix = optionalEpochTime(params, 'created_at_unix', now, { pattern: /^\d+$/, hint: 'must be epoch seconds' });
  const iso = optionalString(params, 'created_at', { max: 40 });
  if (unix !== undefined) return unix;
  if (iso === undefined) return now;
  const match = ISO_WITH_OFFSET.exec(iso);
  const time = match ? Date.parse(`${match[1]}${match[2] === undefined ? 'Z' : `${match[2]}:${match[3]}`}`) : NaN;
  if (Number.isNaN(time) || time < MIN_EPOCH_SECONDS * 1000) throw badRequest(`created_at: "${iso}" is not an ISO 8601 time such as 2017-01-02T15:04:05.000+0000`);
  const problem = futureTimeProblem('created_at', time, now);
  if (problem !== undefined) throw badRequest(problem);
  return time;
}

/** `callback_params` / `partner_params`: a JSON object of strings, URL-encoded (its text is kept). */
export function adjustParamsObject(params: Params, key: string): Record<string, unknown> | undefined {
  const raw = optionalString(params, key, { max: 8192 });
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest(`${key}: must be a JSON object such as {"foo":"bar"}`);
  }
  if (!isPlainObject(parsed)) throw badRequest(`${key}: must be a JSON object such as {"foo":"bar"}`);
  return parsed;
}

/** `environment`: `production` (default) or `sandbox`. */
export function adjustEnvironment(params: Params): 'production' | 'sandbox' {
  const value = optionalString(params, 'environment', { max: 16 });
  if (value === undefined || value === 'production' || value === 'sandbox') return value ?? 'production';
  throw badRequest('environment: must be production or sandbox');
}

import type { FastifyInstance } from 'fastify';
import type { App } from '../../domain/apps.js';
import type { DeviceIds, Identity } from '../../domain/devices.js';
import { normalizeDeviceId } from '../../domain/devices.js';
import { eventDedupKey, parseIdempotencyKey } from '../../domain/idempotency.js';
import { isId } from '../../domain/ids.js';
import { futureTimeProblem } from '../../domain/times.js';
import { AppError, badRequest } from '../../errors.js';
import { vendorErrorHandler } from '../../http/error-handler.js';
import { eventKind } from '../../ingest/records.js';
import type { ProtocolContext } from '../context.js';
import { isPlainObject, optionalIp, optionalNumber, optionalString, type Params } from '../params.js';
import { resolveAppAccess } from '../token-access.js';
import { InAppEventBody } from './schemas.js';

export const APPSFLYER = 'appsflyer';

/**
 * AppsFlyer's S2S events API for mobile, `POST /inappevent/{app_id}`
 * (support.appsflyer.com/hc/en-us/articles/207034486; dev.appsflyer.com, S2S events API):
 * a JSON body naming the device (`appsflyer_id`, or `customer_user_id`), the event
 * (`eventName`, `eventValue` with `af_revenue`, `eventCurrency`, `eventTime`) and the device's
 * ids and IP, authorized by the `authentication` header. `{app_id}` is the app's id here or the
 * AppsFlyer app id its integration already posts to (`s2s apps configure --appsflyer-app-id
 * id123456789`). Answers 200 `OK` as text, as AppsFlyer does; errors as JSON naming the field,
 * with AppsFlyer's words for them in `error`.
 */
export async function inAppEventRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.route({
    method: 'POST',
    url: '/inappevent/:app_id',
    errorHandler: vendorErrorHandler((status, message) => ({ error: appsflyerWords(status, message) })),
    schema: { tags: ['appsflyer'], body: InAppEventBody },
    handler: async (request, reply) => {
      const body = request.body;
      if (!isPlainObject(body)) throw badRequest('body: must be a JSON object');
      const params = body as Params;
      const target = await appOf(ctx, (request.params as { app_id: string }).app_id);
      const header = request.headers.authentication;
      const { app: granted } = await resolveAppAccess(ctx, typeof header === 'string' ? header.trim() : undefined, target.app_id, 401, 'authentication');
      const appsflyerId = optionalString(params, 'appsflyer_id', { max: 64, pattern: /^[0-9A-Za-z-]+$/, hint: 'must be an AppsFlyer id such as 1234567890123-1234567' });
      const userId = optionalString(params, 'customer_user_id', { max: 256 });
      if (appsflyerId === undefined && userId === undefined) throw badRequest('appsflyer_id: is a mandatory field (or customer_user_id)');
      const eventName = optionalString(params, either(params, 'eventName', 'event_name'), { max: 256 });
      if (eventName === undefined) throw badRequest('eventName: is required');
      const { text: eventValue, values } = readEventValue(params, either(params, 'eventValue', 'event_value'));
      const revenue = optionalNumber(values, 'af_revenue', { min: 0, max: 1e9 });
      const currencyKey = either(params, 'eventCurrency', 'event_currency');
      const currency = optionalString(params, currencyKey, { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' });
      const now = ctx.clock();
      const { deviceIds, identities } = appsflyerDevice(params);
      if (appsflyerId !== undefined) identities.push({ kind: 'appsflyer_id', value: appsflyerId });
      await ctx.ingest.record({
        app: granted,
        time: eventTime(params, either(params, 'eventTime', 'event_time'), now),
        receivedAt: now,
        source: 'appsflyer-inappevent',
        userId,
        deviceIds,
        extraIdentities: identities,
        ip: optionalIp(params, 'ip'),
        userAgent: optionalString(params, 'ua', { max: 1024 }),
        clickIds: [],
        viewIds: [],
        event: {
          kind: eventKind(false, revenue),
          name: eventName,
          revenue,
          currency: revenue === undefined ? undefined : (currency ?? 'USD').toUpperCase(),
          eventValue,
          dedupKey: eventDedupKey(parseIdempotencyKey(request.headers['idempotency-key']), undefined),
        },
      });
      return reply.type('text/plain; charset=utf-8').send('OK');
    },
  });
}

/** The app `{app_id}` names: this server's app id, else an AppsFlyer app id set on an app. */
async function appOf(ctx: ProtocolContext, appId: string): Promise<App> {
  const app = isId(appId) ? await ctx.catalog.getApp(appId) : await ctx.catalog.appByAlias(APPSFLYER, appId);
  if (!app) throw new AppError(404, `app_id: no app has the id or AppsFlyer app id "${appId.slice(0, 64)}" (s2s apps configure --appsflyer-app-id)`);
  return app;
}

/** AppsFlyer's camelCase name, else the snake_case one the integrations send; the first present. */
function either(params: Params, camel: string, snake: string): string {
  return params[camel] === undefined && params[snake] !== undefined ? snake : camel;
}

/**
 * `eventValue`: a JSON object as a string (`"{\"af_revenue\":\"6\"}"`), `""` for none, or the
 * object itself. Kept as its text; its `af_revenue` is the event's revenue.
 */
function readEventValue(params: Params, key: string): { text: string | undefined; values: Params } {
  const raw = params[key];
  if (raw === undefined || raw === null || raw === '') return { text: undefined, values: {} };
  let values: unknown = raw;
  if (typeof raw === 'string') {
    try {
      values = JSON.parse(raw);
    } catch {
      throw badRequest(`${key}: must be a JSON object as a string, e.g. "{\\"af_revenue\\":\\"6\\"}"`);
    }
  }
  if (!isPlainObject(values)) throw badRequest(`${key}: must be a JSON object`);
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (text.length > 8192) throw badRequest(`${key}: longer than 8192 characters`);
  return { text, values: values as Params };
}

/** The device ids AppsFlyer's body names: advertising ids match clicks, the others name the user. */
function appsflyerDevice(params: Params): { deviceIds: DeviceIds; identities: Identity[] } {
  const deviceIds: DeviceIds = {};
  for (const [field, kind] of [['idfa', 'idfa'], ['advertising_id', 'gaid'], ['amazon_aid', 'fire_adid']] as const) {
    const value = normalizeDeviceId(optionalString(params, field, { max: 128 }));
    if (value !== undefined) deviceIds[kind] = value;
  }
  const identities: Identity[] = [];
  for (const kind of ['idfv', 'oaid'] as const) {
    const value = normalizeDeviceId(optionalString(params, kind, { max: 128 }));
    if (value !== undefined) identities.push({ kind, value });
  }
  return { deviceIds, identities };
}

const EVENT_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z?$/;

/** `eventTime`: UTC, `yyyy-MM-dd HH:mm:ss.SSS` as AppsFlyer documents it (the milliseconds optional); absent, receipt. */
function eventTime(params: Params, key: string, now: number): number {
  const raw = optionalString(params, key, { max: 40 });
  if (raw === undefined) return now;
  const m = EVENT_TIME.exec(raw);
  const time = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, Number((m[7] ?? '0').padEnd(3, '0'))) : NaN;
  if (!m || Number.isNaN(time) || new Date(time).getUTCDate() !== +m[3]! || +m[1]! < 2001) {
    throw badRequest(`${key}: "${raw}" is not a UTC time such as 2019-05-15 12:17:01.123`);
  }
  const problem = futureTimeProblem(key, time, now);
  if (problem !== undefined) throw badRequest(problem);
  return time;
}

/** AppsFlyer's words for an error (its API reference's responses), by status and the field our message names. */
function appsflyerWords(status: number, message: string): string {
  const field = /^([\w.-]+):/.exec(message)?.[1];
  if (status === 401) return 'Unauthorized';
  if (status === 404) return 'Not Found';
  if (status === 405) return 'Method Not Allowed';
  if (status === 413) return 'Payload Too Large';
  if (status === 429) return 'Too Many Requests';
  if (status >= 500) return 'Internal Server Error';
  if (field === 'appsflyer_id') return 'appsflyer_id is a mandatory field';
  if (field === 'body' || field === 'content-type') return 'Payload is missing or failed to parse';
  return 'Bad request';
}

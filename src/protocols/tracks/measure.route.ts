import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ProtocolContext } from '../context.js';
import type { App } from '../../domain/apps.js';
import { batchItemDedupKey } from '../../domain/idempotency.js';
import { AppError, badRequest } from '../../errors.js';
import { eventKind, type ConversionRecord } from '../../ingest/records.js';
import { dedupKey } from '../conversion.js';
import { isPlainObject, optionalEventTime, optionalIp, optionalString, readRevenue, requiredString, type Params } from '../params.js';
import { resolveAppAccess } from '../token-access.js';

const REQUIRED = ['user_id', 'event_name', 'ip', 'time_stamp', 'platform', 'storefront'] as const;
const MAX_BATCH = 1000;
/**
 * The route's body limit (at least S2S_BODY_LIMIT): a batch of MAX_BATCH events with every field
 * this route reads at its longest is about 2.3 MB of ASCII JSON; 4 MB leaves room for text
 * beyond ASCII. A larger body is a 413 naming the body.
 */
export const MEASURE_BODY_LIMIT = 4 * 1024 * 1024;

/**
 * TRACKS `POST /measure` (seed 002): a game's telemetry webhook, one event or a JSON array
 * batch, as JSON or a form (the seed's own Python posts a form). `game_open` is a session and
 * attributes a new player by IP + platform (+ storefront): PC and console games have no
 * advertising id.
 */
export async function measureRoute(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  app.post(
    '/measure',
    {
      bodyLimit: Math.max(ctx.bodyLimitBytes, MEASURE_BODY_LIMIT),
      schema: {
        tags: ['tracks'],
        description: 'Authorization: Bearer <token>. Body: one event object, or an array of them (a batch).',
        response: { 200: MeasureAnswer, 400: MeasureAnswer },
      },
    },
    async (request, reply) => {
      const access = await tracksAccess(ctx, request);
      const body = request.body;
      if (Array.isArray(body)) {
        if (body.length === 0) throw badRequest('body: the batch is empty');
        if (body.length > MAX_BATCH) throw badRequest(`body: a batch holds at most ${MAX_BATCH} events`);
        const errors: BatchError[] = [];
        const records: ConversionRecord[] = [];
        body.forEach((item, index) => {
          try {
            if (!isPlainObject(item)) throw badRequest('item: must be an object');
            records.push(toRecord(access, request, item, ctx.clock(), index));
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            errors.push({ index, message: error.message, fields: missingFields(item) });
          }
        });
        // The valid events stand or fall together: all stored, or none and a 503 to retry.
        if (records.length > 0) await ctx.ingest.recordAll(records);
        const status = records.length === 0 ? 400 : 200;
        return reply.code(status).send({
          status,
          message: records.length === 0 ? 'no valid event in the batch' : 'OK',
          accepted: records.length,
          errors,
        });
      }
      if (!isPlainObject(body)) throw badRequest('body: send a JSON object, a JSON array or a form');
      await ctx.ingest.record(toRecord(access, request, body, ctx.clock()));
      return { status: 200, message: 'OK' };
    },
  );
}

interface BatchError {
  index: number;
  message: string;
  fields: string[];
}

const MeasureAnswer = Type.Object({
  status: Type.Integer(),
  message: Type.String(),
  accepted: Type.Optional(Type.Integer({ description: 'batch: events stored' })),
  errors: Type.Optional(
    Type.Array(
      Type.Object({
        index: Type.Integer({ description: 'position in the batch' }),
        message: Type.String(),
        fields: Type.Array(Type.String(), { description: 'required fields the item lacks' }),
      }),
    ),
  ),
});

async function tracksAccess(ctx: ProtocolContext, request: FastifyRequest): Promise<{ app: App }> {
  const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (!match) throw new AppError(401, 'authorization: a Bearer token is required');
  const appId = isPlainObject(request.body) ? optionalString(request.body, 'app_id', { max: 64 }) : undefined;
  return resolveAppAccess(ctx, match[1], appId, 401, 'authorization');
}

function missingFields(item: unknown): string[] {
  if (!isPlainObject(item)) return [...REQUIRED];
  return REQUIRED.filter((f) => item[f] === undefined || item[f] === null || item[f] === '');
}

function toRecord(access: { app: App }, request: FastifyRequest, params: Params, now: number, index?: number): ConversionRecord {
  const missing = missingFields(params);
  if (missing.length > 0) throw badRequest(`${missing[0]}: is required${missing.length > 1 ? ` (also missing: ${missing.slice(1).join(', ')})` : ''}`);
  // Present is not enough: a blank ("   ") or non-string value is a 400 naming the field.
  const userId = requiredString(params, 'user_id', { max: 256 });
  const eventName = requiredString(params, 'event_name', { max: 256 });
  const ip = optionalIp(params, 'ip');
  if (ip === undefined) throw badRequest('ip: is required');
  const time = optionalEventTime(params, 'time_stamp', now);
  if (time === undefined) throw badRequest('time_stamp: is required');
  const platform = requiredString(params, 'platform', { max: 32 }).toLowerCase();
  const storefront = requiredString(params, 'storefront', { max: 32 }).toLowerCase();
  const { revenue, currency } = readRevenue(params, 'revenue', 'currency');
  const isOpen = eventName === 'game_open';
  return {
    app: access.app,
    time,
    receivedAt: now,
    source: 'tracks-measure',
    userId,
    deviceIds: {},
    ip,
    userAgent: optionalString(params, 'user_agent', { max: 1024 }),
    platform,
    storefront,
    clickIds: ['click_id', 'clkid'].map((k) => optionalString(params, k, { max: 64 })).filter((v): v is string => v !== undefined),
    viewIds: [],
    event: {
      kind: eventKind(isOpen, revenue),
      name: eventName,
      revenue,
      currency,
      dedupKey: batchItemDedupKey(dedupKey(request, params), index),
    },
  };
}

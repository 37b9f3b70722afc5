import type { FastifyRequest } from 'fastify';
import { eventDedupKey, parseIdempotencyKey } from '../domain/idempotency.js';
import { optionalString, type Params } from './params.js';

/** The key that makes a retried event a no-op: the Idempotency-Key header, else the sender's own event id. */
export function dedupKey(request: FastifyRequest, params: Params): string | undefined {
  const senderId = optionalString(params, 'event_uid', { max: 200 }) ?? optionalString(params, 'transaction_id', { max: 200 });
  return eventDedupKey(parseIdempotencyKey(request.headers['idempotency-key']), senderId);
}

/** Fields sent alongside an event, kept as its JSON `event_value`: only those present; none gives undefined. */
export function detailsJson(fields: Record<string, string | undefined>): string | undefined {
  const present = Object.entries(fields).filter(([, v]) => v !== undefined);
  return present.length > 0 ? JSON.stringify(Object.fromEntries(present)) : undefined;
}

import type { FastifyRequest } from 'fastify';
import { eventDedupKey, parseIdempotencyKey } from '../domain/idempotency.js';
import { badRequest } from '../errors.js';
import { optionalNumber, optionalString, type Params } from './params.js';

/** The key that makes a retried event a no-op: the Idempotency-Key header, else the sender's own event id. */
export function dedupKey(request: FastifyRequest, params: Params): string | undefined {
  const senderId = optionalString(params, 'event_uid', { max: 200 }) ?? optionalString(params, 'transaction_id', { max: 200 });
  return eventDedupKey(parseIdempotencyKey(request.headers['idempotency-key']), senderId);
}

/** Revenue and its currency: a non-negative amount, a 3-letter code (USD when the amount comes alone). */
export function readRevenue(params: Params, amountKey: string, currencyKey: string): { revenue?: number; currency?: string } {
  const revenue = optionalNumber(params, amountKey, { min: 0, max: 1e9 });
  const currency = optionalString(params, currencyKey, { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' });
  if (revenue === undefined) return currency === undefined ? {} : { currency: currency.toUpperCase() };
  return { revenue, currency: (currency ?? 'USD').toUpperCase() };
}

/** Free-form event data (Swaarm's `event_value`): kept as text, a JSON value re-serialised. */
export function readFreeText(params: Params, key: string, max = 8192): string | undefined {
  const raw = params[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (text.length > max) throw badRequest(`${key}: longer than ${max} characters`);
  return text;
}

/** Fields sent alongside an event, kept as its JSON `event_value`: only those present; none gives undefined. */
export function detailsJson(fields: Record<string, string | undefined>): string | undefined {
  const present = Object.entries(fields).filter(([, v]) => v !== undefined);
  return present.length > 0 ? JSON.stringify(Object.fromEntries(present)) : undefined;
}

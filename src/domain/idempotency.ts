import { badRequest } from '../errors.js';

/**
 * Idempotency, in one place: how a retried request is known for the same request.
 *
 * - A click or view sent with an `Idempotency-Key` header keeps the first request's id for
 *   `IDEMPOTENCY_WINDOW_MS`; after it, the key is a new request (`idempotency_keys`).
 * - An event's dedup key is `key:` + that header, honoured for the same window; else `uid:` +
 *   the sender's own event id (`event_uid`, `transaction_id`), which stands for one event until
 *   `s2s prune` removes it (a purchase's transaction id must never count twice).
 * - One Idempotency-Key on a batch (`/measure`) covers each item as `key:…#index`.
 * - An imported line's key is its time and content (`ingest/import-lines.ts`).
 */
export const IDEMPOTENCY_WINDOW_MS = 7 * 86_400_000;

/** The earliest claim of a key still honoured at `now` (epoch ms). */
export function idempotencyCutoff(now: number): number {
  return now - IDEMPOTENCY_WINDOW_MS;
}

const MAX_KEY_LENGTH = 200;

/** The `Idempotency-Key` header's key: trimmed; undefined when absent or blank; a 400 when too long. */
export function parseIdempotencyKey(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.trim() === '') return undefined;
  if (header.length > MAX_KEY_LENGTH) throw badRequest(`idempotency-key: longer than ${MAX_KEY_LENGTH} characters`);
  return header.trim();
}

/** The prefix of an event dedup key that came from an Idempotency-Key header (it expires). */
export const IDEMPOTENCY_KEY_PREFIX = 'key:';

/** An event's dedup key: the header's key, else the sender's own event id; undefined when neither is given. */
export function eventDedupKey(idempotencyKey: string | undefined, senderEventId: string | undefined): string | undefined {
  if (idempotencyKey !== undefined) return `${IDEMPOTENCY_KEY_PREFIX}${idempotencyKey}`;
  return senderEventId === undefined ? undefined : `uid:${senderEventId}`;
}

/** The dedup key of item `index` of a batch sent under one key: an Idempotency-Key gets a slot per item; a sender's own id is the item's already. */
export function batchItemDedupKey(key: string | undefined, index: number | undefined): string | undefined {
  return key === undefined || index === undefined || !key.startsWith(IDEMPOTENCY_KEY_PREFIX) ? key : `${key}#${index}`;
}

/** Postback configuration and the delivery log, shared by the CLI and the admin API. */
import { Type, type Static } from '@sinclair/typebox';
import { newId } from '../domain/ids.js';
import { isoTime } from '../domain/times.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { POSTBACK_FORMATS, checkSettings, postbackFormat, type Postback, type PostbackFormat } from '../postbacks/formats/index.js';
import { toPostback } from '../postbacks/outbox.js';
import type { DeliveryAttemptRow, DeliveryRow } from '../domain/entities.js';
import type { CatalogStore, OutboxStore } from '../storage/store.js';
import { IdString } from './schemas.js';
import { validate } from './validate.js';

export const PostbackInput = Type.Object(
  {
    app_id: IdString,
    network: Type.String({ minLength: 1, maxLength: 100, description: 'installs attributed to this network are its own' }),
    format: Type.Unsafe<PostbackFormat>({ type: 'string', enum: [...POSTBACK_FORMATS] }),
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) base URL (Chartboost formats) or URL template with {macros} in its path and query' })),
    token: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })),
    app_signature: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    events: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 1, maxItems: 100 })),
  },
  { additionalProperties: false },
);
export type PostbackInput = Static<typeof PostbackInput>;

const DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead'] as const;
export const DeliveryStatus = Type.Unsafe<(typeof DELIVERY_STATUSES)[number]>({ type: 'string', enum: [...DELIVERY_STATUSES] });

/** A postback as shown: the signing secret never, the partner token only by its start. */
export type PostbackView = Omit<Postback, 'secret' | 'token'> & { token: string | null; has_secret: boolean };

export function viewPostback(p: Postback): PostbackView {
  const { secret, token, ...rest } = p;
  return { ...rest, token: token === null ? null : `${token.slice(0, 4)}…`, has_secret: secret !== null };
}

export async function addPostback(store: CatalogStore, input: unknown): Promise<PostbackView> {
  const p = validate(PostbackInput, input);
  if (!(await store.getApp(p.app_id))) throw notFound(`app_id: unknown app ${p.app_id}`);
  // URLs are parsed as the sender will read them, and stored normalised: what is stored is sent.
  const url = checkSettings(postbackFormat(p.format), p);
  const row = {
    postback_id: newId(),
    app_id: p.app_id,
    network: p.network,
    format: p.format,
    url,
    token: p.token ?? null,
    secret: p.secret ?? null,
    app_signature: p.app_signature ?? null,
    events: p.events ? p.events.map((e) => e.trim()).join(',') : null,
    created_at: Date.now(),
    batch_size: null,
    removed_at: null,
  };
  await store.createPostback(row);
  return viewPostback(toPostback(row));
}

/** The networks' postbacks (webhooks are listed by `listWebhooks`). */
export async function listPostbacks(store: CatalogStore, appId?: string): Promise<PostbackView[]> {
  return (await store.listPostbacks(appId)).filter((row) => row.format !== 'webhook').map((row) => viewPostback(toPostback(row)));
}

export async function removePostback(store: CatalogStore, postbackId: string): Promise<{ postback_id: string; removed: true }> {
  if (!(await store.removePostback(postbackId))) throw notFound(`postback_id: no active postback ${postbackId}`);
  return { postback_id: postbackId, removed: true };
}

/** A delivery as the log shows it: no headers or body (they carry the partner's credentials). */
export interface DeliveryView {
  delivery_id: string;
  postback_id: string;
  app_id: string;
  trigger: string;
  method: string;
  url: string;
  status: DeliveryRow['status'];
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  finished_at: string | null;
}


export function viewDelivery(d: DeliveryRow): DeliveryView {
  return {
    delivery_id: d.delivery_id,
    postback_id: d.postback_id,
    app_id: d.app_id,
    trigger: d.trigger,
    method: d.method,
    url: d.url,
    status: d.status,
    attempts: d.attempts,
    last_status: d.last_status,
    last_error: d.last_error,
    next_attempt_at: d.status === 'pending' ? isoTime(d.next_attempt_at) : null,
    created_at: isoTime(d.created_at)!,
    finished_at: isoTime(d.finished_at),
  };
}

export function viewAttempt(a: DeliveryAttemptRow) {
  return { attempted_at: isoTime(a.attempted_at)!, status_code: a.status_code, latency_ms: a.latency_ms, response_start: a.response_start, error: a.error };
}

export type AttemptView = ReturnType<typeof viewAttempt>;

/** One delivery with every attempt at it, oldest first: time, status, latency, error, the start of the answer. */
export async function deliveryWithAttempts(store: OutboxStore, deliveryId: string): Promise<DeliveryView & { attempts_log: AttemptView[] }> {
  const delivery = await store.getDelivery(deliveryId);
  if (!delivery) throw notFound(`delivery_id: unknown delivery ${deliveryId}`);
  return { ...viewDelivery(delivery), attempts_log: (await store.listAttempts(deliveryId)).map(viewAttempt) };
}

export async function deliveryLog(store: OutboxStore, filter: { appId?: string; postbackId?: string; status?: string; limit?: number }): Promise<DeliveryView[]> {
  if (filter.status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(filter.status)) {
    throw badRequest(`status: must be one of ${DELIVERY_STATUSES.join(', ')}`);
  }
  const rows = await store.listDeliveries({ appId: filter.appId, postbackId: filter.postbackId, status: filter.status as DeliveryRow['status'] | undefined, limit: filter.limit ?? 100 });
  return rows.map(viewDelivery);
}

export async function retryDelivery(store: OutboxStore, deliveryId: string, ttlMs: number): Promise<DeliveryView> {
  const existing = await store.getDelivery(deliveryId);
  if (!existing) throw notFound(`delivery_id: unknown delivery ${deliveryId}`);
  if (existing.status === 'delivered') throw new AppError(409, `delivery_id: ${deliveryId} was already delivered`);
  return viewDelivery((await store.retryDelivery(deliveryId, Date.now(), ttlMs))!);
}

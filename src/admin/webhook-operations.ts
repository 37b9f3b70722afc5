/**
 * Event webhooks, shared by the CLI and the admin API. A webhook is stored as a postback of the
 * format `webhook` (postbacks/formats/webhook.ts): the same outbox, retries and delivery log.
 */
import { Type, type Static } from '@sinclair/typebox';
import { newId } from '../domain/ids.js';
import { isoTime } from '../domain/times.js';
import { badRequest, notFound } from '../errors.js';
import { checkSettings, postbackFormat } from '../postbacks/formats/index.js';
import { MAX_BATCH_SIZE, newWebhookSecret, WEBHOOK_EVENTS, WEBHOOK_SCHEMA } from '../postbacks/formats/webhook.js';
import type { PostbackRow } from '../domain/entities.js';
import type { CatalogStore, OutboxStore } from '../storage/store.js';
import { deliveryLog, type DeliveryView } from './postback-operations.js';
import { IdString } from './schemas.js';
import { validate } from './validate.js';

/** The shortest secret a webhook takes: a receiver's HMAC key should not be guessable. */
export const MIN_SECRET_LENGTH = 16;

export const WebhookInput = Type.Object(
  {
    app_id: IdString,
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL the records are POSTed to' }),
    events: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 100 }), {
        minItems: 1,
        maxItems: 100,
        description: `what is sent: ${WEBHOOK_EVENTS.join(', ')}, or event names (default: all)`,
      }),
    ),
    secret: Type.Optional(Type.String({ minLength: MIN_SECRET_LENGTH, maxLength: 500, description: 'the HMAC-SHA256 key (default: a new random one, shown once)' })),
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_BATCH_SIZE, description: 'up to how many records one request carries (default 1)' })),
  },
  { additionalProperties: false },
);
export type WebhookInput = Static<typeof WebhookInput>;

/** A webhook as shown: its secret only when it is created. */
export interface WebhookView {
  webhook_id: string;
  app_id: string;
  url: string;
  /** What it sends; null: everything. */
  events: string[] | null;
  batch_size: number;
  schema: string;
  created_at: string;
}

function viewWebhook(row: PostbackRow): WebhookView {
  return {
    webhook_id: row.postback_id,
    app_id: row.app_id,
    url: row.url,
    events: row.events ? row.events.split(',') : null,
    batch_size: row.batch_size ?? 1,
    schema: WEBHOOK_SCHEMA,
    created_at: isoTime(row.created_at)!,
  };
}

export async function addWebhook(store: CatalogStore, input: unknown): Promise<WebhookView & { secret: string }> {
  const w = validate(WebhookInput, input);
  if (!(await store.getApp(w.app_id))) throw notFound(`app_id: unknown app ${w.app_id}`);
  const events = w.events?.map((e) => e.trim());
  if (events?.some((e) => e === '')) throw badRequest('events: an empty name');
  const secret = w.secret ?? newWebhookSecret();
  const url = checkSettings(postbackFormat('webhook'), { url: w.url, secret });
  const row: PostbackRow = {
    postback_id: newId(),
    app_id: w.app_id,
    // A webhook is the studio's own: every record, whatever its network.
    network: '',
    format: 'webhook',
    url,
    token: null,
    secret,
    app_signature: null,
    events: events ? [...new Set(events)].join(',') : null,
    batch_size: w.batch_size ?? null,
    created_at: Date.now(),
    removed_at: null,
  };
  await store.createPostback(row);
  return { ...viewWebhook(row), secret };
}

export async function listWebhooks(store: CatalogStore, appId?: string): Promise<WebhookView[]> {
  return (await store.listPostbacks(appId)).filter((row) => row.format === 'webhook').map(viewWebhook);
}

/** Stops a webhook; records already queued are still sent (the delivery log stays). */
export async function removeWebhook(store: CatalogStore, webhookId: string): Promise<{ webhook_id: string; removed: true }> {
  const row = await store.getPostback(webhookId);
  if (!row || row.format !== 'webhook' || row.removed_at !== null || !(await store.removePostback(webhookId))) {
    throw notFound(`webhook_id: no active webhook ${webhookId}`);
  }
  return { webhook_id: webhookId, removed: true };
}

/** A webhook's deliveries, newest first (removed webhooks' too). */
export async function webhookLog(store: CatalogStore & OutboxStore, webhookId: string, filter: { status?: string; limit?: number }): Promise<DeliveryView[]> {
  const row = await store.getPostback(webhookId);
  if (!row || row.format !== 'webhook') throw notFound(`webhook_id: unknown webhook ${webhookId}`);
  return deliveryLog(store, { postbackId: webhookId, ...filter });
}

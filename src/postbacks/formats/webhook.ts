/**
 * webhook: every record of an app (installs, reinstalls, engagements, rejections, opens,
 * purchases, ad revenue, events), whatever its network, POSTed as JSON to the studio's own URL
 * (a push API, as AppsFlyer's Push API and Adjust's raw callbacks are). Queued like any postback:
 * the outbox holds one record a delivery. The request is made when it is sent: up to the
 * webhook's `batch_size` records of one claim in one body, signed with HMAC-SHA256 over the
 * time of sending and the body, so that an altered body or a delivery replayed later fails
 * verification (docs/webhooks.md shows the receiver's side).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OutboundRequest } from '../../client/index.js';
import type { DeliveryRow, EventRow, InstallRow } from '../../domain/entities.js';
import { isoTime } from '../../domain/times.js';
import { parseHttpUrl } from '../../domain/urls.js';
import type { Postback, PostbackFormatSpec, Trigger, TriggerContext } from './format-spec.js';

/** The schema every body names; a change that is not an addition gets a new one. */
export const WEBHOOK_SCHEMA = 's2s.webhook.v1';

/** What a webhook may send (`--events`); all of them by default. */
export const WEBHOOK_EVENTS = ['install', 'reinstall', 're-engagement', 'reattribution', 'rejection', 'open', 'purchase', 'ad_revenue', 'event'] as const;
export type WebhookRecordType = (typeof WEBHOOK_EVENTS)[number];

/** The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 's2s-signature';
/** How old a signature a receiver accepts by default (docs/webhooks.md). */
export const SIGNATURE_TOLERANCE_S = 300;
/** At most this many records a request: the dispatcher claims 100 due deliveries at a time (app.ts), and a batch is made of one claim. */
export const MAX_BATCH_SIZE = 100;

/** One record as a webhook sends it (docs/webhooks.md, "The record"). */
export interface WebhookRecord {
  /** The install's or the event's id (a later rejection: the install's with `-rejection`): a receiver drops a record it already has by it. */
  id: string;
  type: WebhookRecordType;
  /** The event's name (its kind for opens, purchases and ad revenue); null for installs. */
  name: string | null;
  app_id: string;
  user_pk: string;
  user_id: string | null;
  device_ids: TriggerContext['deviceIds'];
  /** When it happened, and when this server received it (ISO 8601, UTC). */
  occurred_at: string;
  received_at: string | null;
  /** The attribution: of the install itself, or for an event the install (or running engagement) its user is credited to. */
  install_id: string | null;
  status: InstallRow['status'] | null;
  campaign_id: string | null;
  network: string | null;
  match_type: string | null;
  touchpoint_id: string | null;
  touched_at: string | null;
  rejected_reason: string | null;
  revenue: number | null;
  currency: string | null;
  revenue_usd: number | null;
}

export const webhookFormat: PostbackFormatSpec<'webhook'> = {
  name: 'webhook',
  defaultEvents: WEBHOOK_EVENTS,
  credentials: {
    url: { required: 'url: is required for a webhook (an http(s) URL)' },
    secret: { required: 'secret: is required for a webhook (its requests are signed)' },
    token: 'optional',
    app_signature: 'optional',
  },
  answers: 'http-status',
  storedUrl(url) {
    return parseHttpUrl('url', url ?? '').href;
  },
  wants(wanted, trigger) {
    const type = recordType(trigger);
    return wanted.includes(type) || (trigger.kind === 'event' && wanted.includes(trigger.event.name));
  },
  build(postback, trigger, ctx) {
    return { method: 'POST', url: postback.url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookRecord(trigger, ctx)) };
  },
  atSend: {
    batchSize: (postback) => Math.min(Math.max(postback.batch_size ?? 1, 1), MAX_BATCH_SIZE),
    request: webhookRequest,
  },
};

/** What kind of record a trigger is, as `--events` and the record's `type` name it. */
export function recordType(trigger: Trigger): WebhookRecordType {
  if (trigger.kind === 'install') return trigger.install.status === 'rejected' ? 'rejection' : trigger.install.kind === 'reinstall' ? 'reinstall' : 'install';
  if (trigger.kind === 'engagement') return trigger.engagement.status === 'rejected' ? 'rejection' : (trigger.engagement.kind as 're-engagement' | 'reattribution');
  if (trigger.kind === 'rejection') return 'rejection';
  return trigger.event.kind;
}

/** The record a trigger sends: plain data from what ingest stored. */
export function webhookRecord(trigger: Trigger, ctx: TriggerContext): WebhookRecord {
  const event: EventRow | undefined = trigger.kind === 'event' ? trigger.event : undefined;
  const install = trigger.kind === 'install' || trigger.kind === 'rejection' ? trigger.install : trigger.kind === 'engagement' ? trigger.engagement : ctx.install;
  // A later rejection is a record of its own: its id is the install's with `-rejection`, its times its own.
  const rejection = trigger.kind === 'rejection' ? trigger : undefined;
  return {
    id: event?.event_pk ?? (rejection ? `${install!.install_id}-rejection` : install!.install_id),
    type: recordType(trigger),
    name: event?.name ?? null,
    app_id: ctx.app.app_id,
    user_pk: event?.user_pk ?? install!.user_pk,
    user_id: ctx.userId ?? null,
    device_ids: { ...ctx.deviceIds },
    occurred_at: isoTime(event?.occurred_at ?? rejection?.at ?? install!.installed_at)!,
    received_at: isoTime(event?.received_at ?? rejection?.receivedAt ?? null),
    install_id: install?.install_id ?? null,
    status: install?.status ?? null,
    campaign_id: install?.campaign_id ?? null,
    network: install?.network ?? null,
    match_type: install?.match_type ?? null,
    touchpoint_id: install?.touchpoint_id ?? null,
    touched_at: isoTime(install?.touched_at ?? null),
    rejected_reason: install?.rejected_reason ?? null,
    revenue: event?.revenue ?? null,
    currency: event?.currency ?? null,
    revenue_usd: event?.revenue_usd ?? null,
  };
}

/** `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with the webhook's secret over `<t>.<body>`. */
export function webhookSignature(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Whether a signature header is this body's, made with this secret no more than `toleranceS`
 * from `nowMs` (the receiver's side, as docs/webhooks.md shows it; constant-time compare).
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string, nowMs: number, toleranceS = SIGNATURE_TOLERANCE_S): boolean {
  const parts = new Map((header ?? '').split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = Buffer.from(parts.get('v1') ?? '', 'hex');
  if (!Number.isInteger(t) || Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = Buffer.from(webhookSignature(secret, t, body).split('v1=')[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The request for one claim's deliveries of a webhook (all its own, at most its batch size):
 * their records in one envelope, signed now. Throws when the webhook has no secret (a row
 * written by hand): the dispatcher fails those deliveries with the error.
 */
export function webhookRequest(postback: Postback, deliveries: readonly DeliveryRow[], nowMs: number): OutboundRequest {
  if (postback.secret === null) throw new Error('the webhook has no secret to sign with');
  const records = deliveries.map((d) => d.body ?? 'null').join(',');
  const body = `{"schema":"${WEBHOOK_SCHEMA}","webhook_id":${JSON.stringify(postback.postback_id)},"sent_at":"${new Date(nowMs).toISOString()}","records":[${records}]}`;
  return {
    method: 'POST',
    url: postback.url,
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: webhookSignature(postback.secret, Math.floor(nowMs / 1000), body) },
    body,
  };
}

/** A new webhook's secret when none is given: 32 random bytes, base64url. */
export function newWebhookSecret(): string {
  return randomBytes(32).toString('base64url');
}

import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../../src/domain/apps.js';
import type { DeliveryRow, EventRow, InstallRow } from '../../../src/domain/entities.js';
import { buildRequests, checkSettings, postbackFormat, type Postback, type Trigger, type TriggerContext } from '../../../src/postbacks/formats/index.js';
import { verifyWebhookSignature, webhookRecord, webhookRequest, WEBHOOK_SCHEMA } from '../../../src/postbacks/formats/webhook.js';
import { AppError } from '../../../src/errors.js';

const APP = { app_id: 'a'.repeat(24), app_signature: 'f'.repeat(40), settings: {} } as App;
const INSTALL: InstallRow = {
  install_id: 'i'.repeat(24), app_id: APP.app_id, user_pk: 'u'.repeat(24), kind: 'install', installed_at: Date.UTC(2026, 11, 4, 10), status: 'attributed',
  match_type: 'click_id', campaign_id: 'c'.repeat(24), network: 'Chartboost', touchpoint_id: 't'.repeat(24), touched_at: Date.UTC(2026, 11, 4, 9),
  rejected_reason: null, rejected_value: null, ip: '203.0.113.9', user_agent: 'ua', platform: 'android', source: 'chartboost-v2',
};
const PURCHASE: EventRow = {
  event_pk: 'e'.repeat(24), app_id: APP.app_id, user_pk: INSTALL.user_pk, kind: 'purchase', name: 'purchase', occurred_at: INSTALL.installed_at + 60_000,
  received_at: INSTALL.installed_at + 61_000, revenue: 4.99, currency: 'EUR', revenue_usd: 5.4, aggregated_value: null, event_value: null,
  product_id: 'gems', ip: '203.0.113.9', user_agent: 'ua', source: 'test', dedup_key: null,
  ad_source: null, ad_network: null, ad_unit: null, ad_placement: null, ad_impressions: null,
};
const CTX: TriggerContext = {
  app: APP, install: INSTALL, clickRef: { click_id: 'cb' }, deviceIds: { gaid: '8df6c9bf-0000-4000-8000-000000000001' },
  userId: 'player-1', ip: '203.0.113.9', userAgent: 'ua',
};
const SECRET = 'whsec-0123456789abcdef';

function webhook(events: string[] | null = null, batch_size: number | null = null): Postback {
  const spec = postbackFormat('webhook');
  return {
    postback_id: 'w'.repeat(24), app_id: APP.app_id, network: '', format: 'webhook', events, batch_size, created_at: new Date(0).toISOString(),
    url: checkSettings(spec, { url: 'https://warehouse.example/in', secret: SECRET }), token: null, secret: SECRET, app_signature: null,
  };
}

function delivery(body: string, id: string): DeliveryRow {
  return {
    delivery_id: id, postback_id: 'w'.repeat(24), app_id: APP.app_id, trigger: 'install', method: 'POST', url: 'https://warehouse.example/in',
    headers: '{"content-type":"application/json"}', body, status: 'pending', attempts: 0, next_attempt_at: 0, claimed_until: null, created_at: 0,
    expires_at: 1, finished_at: null, last_status: null, last_error: null, dedup_key: id, answer_rule: 'http-status',
  };
}

/** The receiver's check as docs/webhooks.md writes it, independent of the server's code. */
function receiverAccepts(secret: string, header: string, body: string, nowS: number): boolean {
  const fields = Object.fromEntries(header.split(',').map((p) => p.split('=')));
  const expected = createHmac('sha256', secret).update(`${fields.t}.${body}`).digest('hex');
  return Math.abs(nowS - Number(fields.t)) <= 300 && expected === fields.v1;
}

describe('webhook records', () => {
  it('sends an install as its documented record, without IP or user agent', () => {
    const [queued] = buildRequests(webhook(), { kind: 'install', install: INSTALL }, CTX);
    expect(queued).toMatchObject({ trigger: 'install', cause: `install:${INSTALL.install_id}`, request: { method: 'POST', url: 'https://warehouse.example/in' } });
    expect(JSON.parse(queued!.request.body!)).toEqual({
      id: INSTALL.install_id, type: 'install', name: null, app_id: APP.app_id, user_pk: INSTALL.user_pk, user_id: 'player-1',
      device_ids: { gaid: '8df6c9bf-0000-4000-8000-000000000001' }, occurred_at: '2026-12-04T10:00:00.000Z', received_at: null,
      install_id: INSTALL.install_id, status: 'attributed', campaign_id: 'c'.repeat(24), network: 'Chartboost', match_type: 'click_id',
      touchpoint_id: 't'.repeat(24), touched_at: '2026-12-04T09:00:00.000Z', rejected_reason: null, revenue: null, currency: null, revenue_usd: null,
    });
  });

  it('sends a purchase with its revenue and the attribution of its user', () => {
    const record = webhookRecord({ kind: 'event', event: PURCHASE }, CTX);
    expect(record).toMatchObject({ id: PURCHASE.event_pk, type: 'purchase', name: 'purchase', revenue: 4.99, currency: 'EUR', revenue_usd: 5.4, install_id: INSTALL.install_id, campaign_id: 'c'.repeat(24) });
    expect(record.received_at).toBe('2026-12-04T10:01:01.000Z');
  });

  it('names rejections, reinstalls and engagements by their type, and --events narrows them', () => {
    const rejected: Trigger = { kind: 'install', install: { ...INSTALL, status: 'rejected', rejected_reason: 'ip_blocked' } };
    const reinstall: Trigger = { kind: 'install', install: { ...INSTALL, kind: 'reinstall' } };
    const engaged: Trigger = { kind: 'engagement', engagement: { ...INSTALL, kind: 'reattribution' } };
    const custom: Trigger = { kind: 'event', event: { ...PURCHASE, kind: 'event', name: 'level_up', revenue: null } };
    const types = (events: string[] | null) => [rejected, reinstall, engaged, custom].flatMap((t) => buildRequests(webhook(events), t, CTX)).map((q) => JSON.parse(q.request.body!).type);
    expect(types(null)).toEqual(['rejection', 'reinstall', 'reattribution', 'event']);
    expect(types(['rejection', 'event'])).toEqual(['rejection', 'event']);
    expect(types(['level_up'])).toEqual(['event']);
    expect(types(['install', 'purchase'])).toEqual([]);
  });

  it('sends a later rejection as a record of its own, and the networks’ formats only where asked', () => {
    const later: Trigger = { kind: 'rejection', install: { ...INSTALL, status: 'rejected', rejected_reason: 'ctit_too_short' }, at: INSTALL.installed_at + 3_600_000, receivedAt: INSTALL.installed_at + 3_601_000 };
    const [queued] = buildRequests(webhook(), later, CTX);
    expect(queued).toMatchObject({ trigger: 'rejection', cause: `rejection:${INSTALL.install_id}` });
    expect(JSON.parse(queued!.request.body!)).toMatchObject({
      id: `${INSTALL.install_id}-rejection`, type: 'rejection', install_id: INSTALL.install_id, status: 'rejected', rejected_reason: 'ctit_too_short',
      occurred_at: '2026-12-04T11:00:00.000Z', received_at: '2026-12-04T11:00:01.000Z',
    });
    const network = (format: string, events: string[] | null) => ({ ...webhook(events), format, network: 'Chartboost', url: 'https://n.example/pb?e={event_id}', token: 'tok' });
    expect(buildRequests(network('url', null), later, CTX)).toEqual([]);
    expect(buildRequests(network('url', ['rejection']), later, CTX).map((q) => q.request.url)).toEqual(['https://n.example/pb?e=rejection']);
    expect(buildRequests(network('chartboost-v2', ['rejection']), later, CTX)).toEqual([]);
  });

  it('refuses a webhook without a URL or secret, naming the field', () => {
    const spec = postbackFormat('webhook');
    const message = (settings: Record<string, string>) => {
      try {
        checkSettings(spec, settings);
      } catch (error) {
        return error instanceof AppError ? `${error.status} ${error.message}` : String(error);
      }
      return 'accepted';
    };
    expect(message({ secret: SECRET })).toMatch(/^400 url: /);
    expect(message({ url: 'https://x.example' })).toMatch(/^400 secret: /);
    expect(message({ url: 'ftp://x.example', secret: SECRET })).toBe('400 url: must be an http or https URL');
  });
});

describe('webhook requests', () => {
  const now = Date.UTC(2026, 11, 4, 12);
  const bodies = [JSON.stringify({ id: 'r1' }), JSON.stringify({ id: 'r2' })];
  const request = webhookRequest(webhook(null, 10), bodies.map((b, i) => delivery(b, `d${i}`)), now);

  it('carries a claim’s records in one versioned envelope', () => {
    expect(JSON.parse(request.body!)).toEqual({ schema: WEBHOOK_SCHEMA, webhook_id: 'w'.repeat(24), sent_at: '2026-12-04T12:00:00.000Z', records: [{ id: 'r1' }, { id: 'r2' }] });
  });

  it('is signed over the time of sending and the body: a receiver accepts it, not an altered or replayed copy', () => {
    const header = request.headers['s2s-signature']!;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(receiverAccepts(SECRET, header, request.body!, now / 1000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, request.body!, now)).toBe(true);
    const altered = request.body!.replace('r2', 'r3');
    expect(receiverAccepts(SECRET, header, altered, now / 1000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, altered, now)).toBe(false);
    expect(verifyWebhookSignature('another-secret-000000', header, request.body!, now)).toBe(false);
    // Replayed ten minutes later: the timestamp is outside the receiver's 5 minutes.
    expect(verifyWebhookSignature(SECRET, header, request.body!, now + 600_000)).toBe(false);
    expect(receiverAccepts(SECRET, header, request.body!, now / 1000 + 600)).toBe(false);
    // A timestamp moved forward breaks the MAC.
    const moved = header.replace(/t=\d+/, `t=${now / 1000 + 600}`);
    expect(verifyWebhookSignature(SECRET, moved, request.body!, now + 600_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, undefined, request.body!, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, 't=x,v1=zz', request.body!, now)).toBe(false);
  });

  it('cannot be made without a secret (a row written by hand)', () => {
    expect(() => webhookRequest({ ...webhook(), secret: null }, [delivery('{}', 'd')], now)).toThrow(/no secret/);
  });
});

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeliveryRow } from '../../../src/domain/entities.js';
import { Dispatcher } from '../../../src/postbacks/dispatcher.js';
import type { Postback } from '../../../src/postbacks/formats/index.js';
import { verifyWebhookSignature } from '../../../src/postbacks/formats/webhook.js';
import type { OutboxStore } from '../../../src/storage/store.js';
import { startReceiver, type Receiver } from '../../helpers/receiver.js';

const SECRET = 'dispatcher-test-secret-0123';

/** An outbox in memory: what is pending and due is claimed, attempts and releases are recorded. */
function memoryOutbox(rows: DeliveryRow[]) {
  const released: string[] = [];
  const attempts: { delivery_id: string; status: string }[] = [];
  const store = {
    async claimDueDeliveries(now: number, limit: number, leaseMs: number) {
      const due = rows.filter((d) => d.status === 'pending' && d.next_attempt_at <= now && (d.claimed_until ?? 0) <= now).slice(0, limit);
      for (const d of due) d.claimed_until = now + leaseMs;
      return due.map((d) => ({ ...d }));
    },
    async recordAttempts(entries: { attempt: { delivery_id: string }; update: { status: DeliveryRow['status']; next_attempt_at: number } }[]) {
      for (const { attempt, update } of entries) {
        const row = rows.find((d) => d.delivery_id === attempt.delivery_id)!;
        Object.assign(row, update, { claimed_until: null });
        attempts.push({ delivery_id: attempt.delivery_id, status: update.status });
      }
    },
    async releaseClaims(ids: string[]) {
      released.push(...ids);
      for (const d of rows) if (ids.includes(d.delivery_id)) d.claimed_until = null;
    },
  } as unknown as OutboxStore;
  return { store, released, attempts };
}

function delivery(id: string, url: string, body: string): DeliveryRow {
  return {
    delivery_id: id, postback_id: 'w'.repeat(24), app_id: 'a', trigger: 'install', method: 'POST', url, headers: '{"content-type":"application/json"}', body,
    status: 'pending', attempts: 0, next_attempt_at: 0, claimed_until: null, created_at: 0, expires_at: Date.now() + 60_000, finished_at: null,
    last_status: null, last_error: null, dedup_key: `install:${id}`, answer_rule: 'http-status',
  };
}

describe('the dispatcher and webhooks', () => {
  let receiver: Receiver | undefined;
  let dispatcher: Dispatcher | undefined;
  afterEach(async () => {
    await dispatcher?.stop();
    await receiver?.close();
  });

  it('never sends a webhook’s record as stored when its webhook cannot be read: its claim lapses and it is sent signed then', async () => {
    receiver = await startReceiver();
    const webhook: Postback = {
      postback_id: 'w'.repeat(24), app_id: 'a', network: '', format: 'webhook', url: `${receiver.url}/s2s`, token: null, secret: SECRET,
      app_signature: null, events: null, batch_size: 10, created_at: new Date(0).toISOString(),
    };
    const { store, released, attempts } = memoryOutbox([delivery('d1', webhook.url, '{"id":"r1"}'), delivery('d2', webhook.url, '{"id":"r2"}')]);
    let lookups = 0;
    dispatcher = new Dispatcher(
      store,
      {
        retryBaseMs: 10, timeoutMs: 100, perDestination: 2, pollMs: 20, leaseMs: 400, batch: 100,
        // The database is away for the first lookups.
        postbackOf: async () => {
          if (++lookups <= 2) throw new Error('connection refused');
          return webhook;
        },
      },
      pino({ level: 'silent' }),
    );
    const started = Date.now();
    dispatcher.start();
    const [request] = await receiver.waitFor(1);
    // Not in a loop: the claims were held until their lease (400 ms) lapsed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(lookups).toBeLessThanOrEqual(6);
    expect(released).toEqual([]);
    expect(JSON.parse(request!.body)).toMatchObject({ schema: 's2s.webhook.v1', records: [{ id: 'r1' }, { id: 'r2' }] });
    expect(verifyWebhookSignature(SECRET, request!.headers['s2s-signature'] as string, request!.body, Date.now())).toBe(true);
    await expect.poll(() => attempts.map((a) => `${a.delivery_id}:${a.status}`).sort()).toEqual(['d1:delivered', 'd2:delivered']);
    expect(receiver.requests).toHaveLength(1);
  });
});

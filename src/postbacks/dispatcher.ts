/**
 * Sends what the outbox holds. Claims due deliveries (a lease, so no two processes send the
 * same one), sends each with a concurrency limit per destination, and records every attempt:
 * 2xx delivered; 5xx, 408, 429, timeouts and connection errors retried with exponential
 * back-off (5 s, 10 s, 20 s … from S2S_RETRY_BASE_MS, 429 honouring Retry-After) until the TTL,
 * then dead; any other 4xx is final. Each delivery is judged by its format's rule, stored with
 * it (Chartboost v1 by the `status` in the body; formats/, `answers`). A delivery that cannot be
 * built or sent as stored (a URL that does not parse) is failed with its error: nothing here
 * throws out of the loop. The schedule lives in the database, so a restart resumes it.
 *
 * A format that makes its request when it is sent (webhooks: formats/format-spec.ts,
 * `atSend`) gets the claimed deliveries of one postback together, up to its batch size: one
 * request, and each delivery records the attempt.
 */
import type { Logger } from 'pino';
import { failedAttempt, judge, requestTarget, retryDelayMs, sendOnce, type AnswerRule, type Attempt, type OutboundRequest } from '../client/index.js';
import { newId } from '../domain/ids.js';
import type { DeliveryRow } from '../domain/entities.js';
import type { DeliveryUpdate, OutboxStore } from '../storage/store.js';
import { postbackFormat, type Postback } from './formats/index.js';

export interface DispatcherOptions {
  retryBaseMs: number;
  timeoutMs: number;
  /** Requests in flight to one origin at a time. */
  perDestination: number;
  /** How often due retries are looked for when nothing wakes the dispatcher. */
  pollMs: number;
  /** How long a claim holds before another process may take the delivery. */
  leaseMs: number;
  batch: number;
  onOutcome?: (outcome: DeliveryRow['status'] | 'retry') => void;
  /** The postback a delivery belongs to (removed ones too), for formats that make their request when sent. */
  postbackOf?: (postbackId: string) => Promise<Postback | undefined>;
}

/** Deliveries sent as one request: one, or a send-time format's batch. */
interface Send {
  deliveries: DeliveryRow[];
  /** Where it goes: its origin is what the per-destination limit counts. */
  url: string;
  /** Makes the request, once a slot to its destination is free (a signature then carries the time it is sent); throws when it cannot be made. */
  request: () => OutboundRequest;
  /** When the first of its claims lapses: a send that gets its slot too late to finish before then is not made. */
  leaseUntil: number;
}

/** Deliveries in flight at most, in claims of `batch`: beyond it, claiming waits for sends to finish. */
const IN_FLIGHT_BATCHES = 5;

export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private again = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private claimed = new Set<string>();
  /** Claiming stopped because enough deliveries were in flight; the next one to finish resumes it. */
  private throttled = false;
  private inFlightDeliveries = 0;

  constructor(
    private readonly store: OutboxStore,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Looks for due deliveries now (called after a commit that queued some). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  /** Stops claiming, waits for sends in flight, and lets unsent claims go. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running || this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight]);
      if (this.running) await new Promise((r) => setTimeout(r, 5));
    }
    await this.store.releaseClaims([...this.claimed]).catch(() => {});
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    this.running = true;
    try {
      do {
        this.again = false;
        if (this.inFlightDeliveries >= this.maxInFlight()) {
          this.throttled = true;
          break;
        }
        const due = await this.store.claimDueDeliveries(Date.now(), this.options.batch, this.options.leaseMs);
        for (const delivery of due) this.claimed.add(delivery.delivery_id);
        for (const send of await this.sends(due)) {
          this.inFlightDeliveries += send.deliveries.length;
          const job = this.deliver(send).finally(() => {
            this.inFlight.delete(job);
            this.inFlightDeliveries -= send.deliveries.length;
            for (const delivery of send.deliveries) this.claimed.delete(delivery.delivery_id);
            if (this.throttled && this.inFlightDeliveries < this.maxInFlight()) {
              this.throttled = false;
              this.wake();
            }
          });
          this.inFlight.add(job);
        }
        if (due.length === this.options.batch) this.again = true;
      } while (this.again && !this.stopped);
    } catch (error) {
      this.logger.warn({ err: error }, 'postback dispatcher could not read the outbox; will retry');
    } finally {
      this.running = false;
      if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.options.pollMs);
    }
  }

  /**
   * What the claimed deliveries are sent as: each as it was stored, except those of a format
   * that makes its request when sent, grouped by postback up to its batch size.
   */
  private async sends(due: DeliveryRow[]): Promise<Send[]> {
    const sends: Send[] = [];
    const grouped = new Map<string, { postback: Postback; deliveries: DeliveryRow[] }>();
    const unknown: string[] = [];
    for (const delivery of due) {
      const postback = await this.sendTimePostback(delivery.postback_id);
      if (postback === 'unknown') {
        unknown.push(delivery.delivery_id);
        continue;
      }
      if (!postback) {
        sends.push({ deliveries: [delivery], url: delivery.url, request: () => storedRequest(delivery), leaseUntil: leaseOf([delivery]) });
        continue;
      }
      const group = grouped.get(postback.postback_id) ?? { postback, deliveries: [] };
      group.deliveries.push(delivery);
      grouped.set(postback.postback_id, group);
    }
    for (const { postback, deliveries } of grouped.values()) {
      const atSend = postbackFormat(postback.format)!.atSend!;
      const size = atSend.batchSize(postback);
      for (let i = 0; i < deliveries.length; i += size) {
        const batch = deliveries.slice(i, i + size);
        sends.push({ deliveries: batch, url: postback.url, request: () => atSend.request(postback, batch, Date.now()), leaseUntil: leaseOf(batch) });
      }
    }
    // Not sent as stored (a webhook's record alone, unsigned, would be refused for good): its
    // claim is kept until its lease lapses, and it is tried then (not at once, in a loop).
    for (const id of unknown) this.claimed.delete(id);
    return sends;
  }

  /**
   * The delivery's postback when its format makes requests when sent, undefined when it is sent
   * as stored, 'unknown' when the lookup failed (the database is away).
   */
  private async sendTimePostback(postbackId: string): Promise<Postback | undefined | 'unknown'> {
    if (!this.options.postbackOf) return undefined;
    let postback: Postback | undefined;
    try {
      postback = await this.options.postbackOf(postbackId);
    } catch {
      return 'unknown';
    }
    return postback && postbackFormat(postback.format)?.atSend ? postback : undefined;
  }

  private maxInFlight(): number {
    return this.options.batch * IN_FLIGHT_BATCHES;
  }

  /** Sends deliveries and records the attempt of each; never rejects (a bug is logged, the claims lapse). */
  private async deliver(send: Send): Promise<void> {
    try {
      const attempt = await this.send(send);
      if (attempt === 'not sent') {
        await this.store.releaseClaims(send.deliveries.map((d) => d.delivery_id)).catch(() => {});
        return;
      }
      // One time and one jitter for the batch: its deliveries are due again together, and claimed together.
      const now = Date.now();
      const jitter = Math.random();
      await this.record(send.deliveries.map((delivery) => ({ delivery, update: this.nextState(delivery, attempt, now, jitter) })), attempt, now);
    } catch (error) {
      const ids = send.deliveries.map((d) => d.delivery_id);
      this.logger.error({ err: error, delivery_ids: ids }, 'postback delivery failed unexpectedly; the claim lapses and it is tried again');
    }
  }

  /** Records one attempt of each delivery sent together, in one transaction. */
  private async record(sent: { delivery: DeliveryRow; update: DeliveryUpdate }[], attempt: Attempt, now: number): Promise<void> {
    try {
      await this.store.recordAttempts(
        sent.map(({ delivery, update }) => ({
          attempt: {
            attempt_id: newId(now),
            delivery_id: delivery.delivery_id,
            attempted_at: now,
            status_code: attempt.status,
            latency_ms: attempt.latencyMs,
            response_start: attempt.responseStart,
            error: attempt.error,
          },
          update,
        })),
      );
      for (const { update } of sent) this.options.onOutcome?.(update.status === 'pending' ? 'retry' : update.status);
    } catch (error) {
      // The claims lapse and the deliveries are tried again: at least once, never lost.
      this.logger.error({ err: error, delivery_ids: sent.map((s) => s.delivery.delivery_id) }, 'could not record a postback attempt');
    }
  }

  /**
   * One try, within the per-destination limit; a request that cannot be made or sent is an
   * unsendable attempt. Not made at all (its claims let go) when the dispatcher is stopping, or
   * when its slot came too late to finish inside its lease (another claim may be sending it).
   */
  private async send(send: Send): Promise<Attempt | 'not sent'> {
    let origin: string;
    try {
      origin = requestTarget(send.url).origin;
    } catch (error) {
      return failedAttempt(performance.now(), error, true);
    }
    await this.acquire(origin);
    try {
      if (this.stopped || Date.now() + this.options.timeoutMs >= send.leaseUntil) return 'not sent';
      let request: OutboundRequest;
      try {
        request = send.request();
      } catch (error) {
        return failedAttempt(performance.now(), error, true);
      }
      return await sendOnce(request, { timeoutMs: this.options.timeoutMs });
    } finally {
      this.release(origin);
    }
  }

  private nextState(delivery: DeliveryRow, attempt: Attempt, now: number, jitter: number): DeliveryUpdate {
    const attempts = delivery.attempts + 1;
    const base = { attempts, last_status: attempt.status, last_error: attempt.error };
    const verdict = judge({ answers: (delivery.answer_rule ?? undefined) as AnswerRule | undefined }, attempt);
    if (verdict === 'delivered') return { ...base, status: 'delivered', next_attempt_at: now, finished_at: now };
    if (verdict === 'final') return { ...base, status: 'failed', next_attempt_at: now, finished_at: now };
    const next = now + retryDelayMs(attempts, this.options.retryBaseMs, attempt.retryAfterMs, () => jitter);
    if (next > delivery.expires_at) return { ...base, status: 'dead', next_attempt_at: now, finished_at: now };
    return { ...base, status: 'pending', next_attempt_at: next, finished_at: null };
  }

  private async acquire(origin: string): Promise<void> {
    const active = this.active.get(origin) ?? 0;
    if (active < this.options.perDestination) {
      this.active.set(origin, active + 1);
      return;
    }
    await new Promise<void>((resolve) => {
      const queue = this.waiting.get(origin) ?? [];
      queue.push(resolve);
      this.waiting.set(origin, queue);
    });
  }

  private release(origin: string): void {
    const next = this.waiting.get(origin)?.shift();
    if (next) next();
    else this.active.set(origin, (this.active.get(origin) ?? 1) - 1);
  }
}

/** A delivery's request as it was queued. */
function storedRequest(delivery: DeliveryRow): OutboundRequest {
  return {
    method: delivery.method as OutboundRequest['method'],
    url: delivery.url,
    headers: JSON.parse(delivery.headers) as Record<string, string>,
    body: delivery.body ?? undefined,
  };
}

/** When the first of these claims lapses (epoch ms). */
function leaseOf(deliveries: readonly DeliveryRow[]): number {
  return Math.min(...deliveries.map((d) => Number(d.claimed_until ?? 0)));
}

import { systemClock, type Clock } from '../domain/clock.js';

/**
 * Per-token rate limit: a token bucket per token, refilled continuously at `perSecond` and
 * holding at most one second's worth, so short bursts pass and sustained floods are refused.
 * In memory and per process: N processes allow N times the rate (documented).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {}

  get enabled(): boolean {
    return this.perSecond > 0;
  }

  /** Takes one request's worth; false when the token is over its rate. */
  take(key: string): boolean {
    const now = this.clock();
    if (!this.enabled) return true;
    const bucket = this.buckets.get(key) ?? { tokens: this.perSecond, at: now };
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (this.buckets.size > 100_000) this.buckets.clear();
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

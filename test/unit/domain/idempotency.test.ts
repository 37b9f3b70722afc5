import { describe, expect, it } from 'vitest';
import { eventDedupKey, parseIdempotencyKey } from '../../../src/domain/idempotency.js';

describe('idempotency keys', () => {
  it('reads the header trimmed, ignores a blank one and refuses one over 200 characters naming it', () => {
    expect(parseIdempotencyKey('  k-1 ')).toBe('k-1');
    expect(parseIdempotencyKey('   ')).toBeUndefined();
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey(['a', 'b'])).toBeUndefined();
    expect(() => parseIdempotencyKey('x'.repeat(201))).toThrow('idempotency-key: longer than 200 characters');
  });

  it('keys an event by the header first, else by the sender\'s own id', () => {
    expect(eventDedupKey('k', 'u')).toBe('key:k');
    expect(eventDedupKey(undefined, 'u')).toBe('uid:u');
    expect(eventDedupKey(undefined, undefined)).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../../src/auth/credentials.js';

describe('credentials', () => {
  it('compares in constant time and only equal strings match', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', 'a')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { toUsd } from '../../../src/domain/currency.js';

describe('currency', () => {
  it('converts with the operator rate, else the shipped default, else flags (null)', () => {
    expect(toUsd(10, 'EUR', new Map())).toBe(10.8);
    expect(toUsd(10, 'eur', new Map([['EUR', 1.2]]))).toBe(12);
    expect(toUsd(10, 'XYZ', new Map())).toBeNull();
    expect(toUsd(1.99, 'USD', new Map())).toBe(1.99);
    // Impression-level ad revenue keeps its digits.
    expect(toUsd(0.0000123, 'USD', new Map())).toBe(0.0000123);
    expect(toUsd(0.000012345678, 'EUR', new Map())).toBe(0.000013333);
  });
});

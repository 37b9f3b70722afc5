import { describe, expect, it } from 'vitest';
import { NetworkNames } from '../../../src/domain/networks.js';

describe('network names', () => {
  it('compare case-insensitively and keep the first spelling, a campaign before any install', () => {
    const names = new NetworkNames([{ network: 'unity' }, { network: 'Unity' }]);
    names.offer('Chartboost', 2000);
    names.offer('chartboost', 1000);
    names.offer('CHARTBOOST', 3000);
    names.offer('UNITY', 0);
    expect(names.key('ChartBoost')).toBe('chartboost');
    expect(names.key(null)).toBeNull();
    expect(names.key('')).toBeNull();
    expect(names.display(names.key('CHARTBOOST')!)).toBe('chartboost');
    expect(names.display(names.key('UNITY')!)).toBe('unity');
    expect(names.display('never-seen')).toBe('never-seen');
  });
});

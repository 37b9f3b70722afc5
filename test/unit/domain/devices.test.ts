import { describe, expect, it } from 'vitest';
import { deviceIdsFrom, identitiesOf, normalizeDeviceId } from '../../../src/domain/devices.js';
import { parseDuration, resolveWindows } from '../../../src/domain/windows.js';
import { idTimeMs, isId, newId } from '../../../src/domain/ids.js';

describe('device ids', () => {
  it('compares case-insensitively and treats all-zero and blank ids as absent', () => {
    expect(normalizeDeviceId(' 8DF6C9BF-D647-4400-BC13-7FF317FF0004 ')).toBe('8df6c9bf-d647-4400-bc13-7ff317ff0004');
    expect(normalizeDeviceId('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    expect(normalizeDeviceId('')).toBeUndefined();
    expect(normalizeDeviceId(['a'])).toBeUndefined();
    expect(deviceIdsFrom({ ifa: 'AB', gaid: '0000', uuid: 'U1', other: 'x' })).toEqual({ idfa: 'ab', uuid: 'u1' });
    expect(identitiesOf({ idfa: 'ab' }, 'User-1')).toEqual([
      { kind: 'idfa', value: 'ab' },
      { kind: 'user_id', value: 'User-1' },
    ]);
  });
});

describe('windows', () => {
  it('resolves campaign over app over default', () => {
    expect(resolveWindows({})).toEqual({ click: 604800, view: 86400, probabilistic: 86400, reEngagement: 604800, reEngagementAttribution: 2592000 });
    expect(resolveWindows({ click: 100, view: null }, { click: 50 })).toEqual({ click: 50, view: 86400, probabilistic: 86400, reEngagement: 604800, reEngagementAttribution: 2592000 });
  });

  it('parses durations', () => {
    expect(parseDuration('7d')).toBe(604800);
    expect(parseDuration('24h')).toBe(86400);
    expect(parseDuration('90m')).toBe(5400);
    expect(parseDuration('30')).toBe(30);
    expect(parseDuration('7 days')).toBeUndefined();
  });
});

describe('ids', () => {
  it('are 24 hex, unique and ordered by time', () => {
    const a = newId(Date.UTC(2026, 0, 1));
    const b = newId(Date.UTC(2026, 0, 2));
    expect(isId(a)).toBe(true);
    expect(a < b).toBe(true);
    expect(idTimeMs(a)).toBe(Date.UTC(2026, 0, 1));
    const many = new Set(Array.from({ length: 10000 }, () => newId()));
    expect(many.size).toBe(10000);
  });
});

import { describe, expect, it } from 'vitest';
import { checkFraud, DEFAULT_FRAUD_RULES, ipInCidr, parseCidr, type InstallFacts } from '../../../src/domain/fraud.js';

const NOW = Date.UTC(2026, 10, 25, 12);
const facts = (overrides: Partial<InstallFacts> = {}): InstallFacts => ({
  installedAt: NOW,
  touchedAt: NOW - 60_000,
  touchKind: 'click',
  ip: '198.51.100.7',
  installsFromIpLast24h: 0,
  ...overrides,
});

describe('fraud rules', () => {
  it('passes a normal install', () => {
    expect(checkFraud(facts(), DEFAULT_FRAUD_RULES)).toBeNull();
  });

  it('rejects a click-to-install time under 10 s, not a view and not at exactly 10 s', () => {
    expect(checkFraud(facts({ touchedAt: NOW - 4_000 }), DEFAULT_FRAUD_RULES)).toEqual({ reason: 'ctit_too_short', value: '4.0s' });
    expect(checkFraud(facts({ touchedAt: NOW - 10_000 }), DEFAULT_FRAUD_RULES)).toBeNull();
    expect(checkFraud(facts({ touchedAt: NOW - 4_000, touchKind: 'view' }), DEFAULT_FRAUD_RULES)).toBeNull();
    expect(checkFraud(facts({ touchedAt: NOW - 4_000 }), { ...DEFAULT_FRAUD_RULES, minCtitSeconds: 0 })).toBeNull();
  });

  it('rejects more than N installs per IP in 24 h', () => {
    const rules = { ...DEFAULT_FRAUD_RULES, maxInstallsPerIp: 3 };
    expect(checkFraud(facts({ installsFromIpLast24h: 2 }), rules)).toBeNull();
    expect(checkFraud(facts({ installsFromIpLast24h: 3 }), rules)).toEqual({ reason: 'ip_install_flood', value: '4 installs from 198.51.100.7 in 24h' });
    expect(checkFraud(facts({ installsFromIpLast24h: 3, ip: undefined }), rules)).toBeNull();
  });

  it('rejects IPs in blocked ranges, first of all rules', () => {
    const rules = { ...DEFAULT_FRAUD_RULES, maxInstallsPerIp: 1, blockedCidrs: ['10.0.0.0/8', '198.51.100.0/24'] };
    expect(checkFraud(facts({ installsFromIpLast24h: 5, touchedAt: NOW }), rules)).toEqual({
      reason: 'blocked_ip',
      value: '198.51.100.7 in 198.51.100.0/24',
    });
  });

  it('parses and matches IPv4 and IPv6 CIDRs', () => {
    expect(ipInCidr('10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipInCidr('11.1.2.3', '10.0.0.0/8')).toBe(false);
    expect(ipInCidr('::ffff:10.1.2.3', '10.0.0.0/8')).toBe(true);
    expect(ipInCidr('2001:db8::5', '2001:db8::/32')).toBe(true);
    expect(ipInCidr('2001:db9::5', '2001:db8::/32')).toBe(false);
    expect(ipInCidr('10.1.2.3', '2001:db8::/32')).toBe(false);
    expect(ipInCidr('192.0.2.1', '192.0.2.1')).toBe(true);
    expect(ipInCidr('not-an-ip', '10.0.0.0/8')).toBe(false);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'x/8', '10.0.0.0/8/1', '10.0.0.0/-1', '::/129']) expect(parseCidr(bad), bad).toBeUndefined();
  });
});

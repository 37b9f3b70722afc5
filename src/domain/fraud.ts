/**
 * Fraud rules, applied to installs this server attributed (an install the sender attributed,
 * as in Chartboost's attributed_install, is the sender's call). Each rule that fires rejects
 * the install with a reason code and the value that tripped it, as Chartboost's
 * `rejected_reason` / `rejected_value` carry them.
 */
import { BlockList, isIP } from 'node:net';

export interface FraudRules {
  /** Click-to-install time below this many seconds is a click injection; 0 turns the rule off. */
  minCtitSeconds: number;
  /** More installs than this from one IP within 24 h is a farm; null turns the rule off. */
  maxInstallsPerIp: number | null;
  /** CIDR ranges (data centres, known bad actors) whose installs are refused. */
  blockedCidrs: string[];
}

/** The IP rule counts installs from the same IP within this much time before the install. */
export const IP_FLOOD_WINDOW_MS = 86_400_000;

export const DEFAULT_FRAUD_RULES: FraudRules = { minCtitSeconds: 10, maxInstallsPerIp: null, blockedCidrs: [] };

export type RejectReason = 'ctit_too_short' | 'ip_install_flood' | 'blocked_ip';

export interface Rejection {
  reason: RejectReason;
  value: string;
}

export interface InstallFacts {
  /** Epoch ms of the install and of the touch credited for it. */
  installedAt: number;
  touchedAt: number | null;
  /** The touch was a click (CTIT applies to clicks; a view has no "click" time). */
  touchKind: 'click' | 'view' | null;
  ip: string | undefined;
  /** Installs already recorded from this IP for this app in the 24 h before this one. */
  installsFromIpLast24h: number;
}

/** The first rule the install breaks, or null. Order: blocked range, IP flood, CTIT. */
export function checkFraud(facts: InstallFacts, rules: FraudRules): Rejection | null {
  if (facts.ip !== undefined) {
    const range = rules.blockedCidrs.find((cidr) => ipInCidr(facts.ip!, cidr));
    if (range !== undefined) return { reason: 'blocked_ip', value: `${facts.ip} in ${range}` };
    if (rules.maxInstallsPerIp !== null && facts.installsFromIpLast24h >= rules.maxInstallsPerIp) {
      return { reason: 'ip_install_flood', value: `${facts.installsFromIpLast24h + 1} installs from ${facts.ip} in 24h` };
    }
  }
  if (rules.minCtitSeconds > 0 && facts.touchKind === 'click' && facts.touchedAt !== null) {
    const ctit = (facts.installedAt - facts.touchedAt) / 1000;
    if (ctit < rules.minCtitSeconds) return { reason: 'ctit_too_short', value: `${ctit.toFixed(1)}s` };
  }
  return null;
}

/** Parses `a.b.c.d/n` or `x::y/n` (a bare address is a /32 or /128); undefined when malformed. */
export function parseCidr(cidr: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address = '', prefixText, extra] = cidr.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** True when `ip` lies inside `cidr`; IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) match IPv4 ranges. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  if (!range) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const version = isIP(address);
  if (version === 0 || (version === 4) !== (range.family === 'ipv4')) return false;
  const list = new BlockList();
  list.addSubnet(range.address, range.prefix, range.family);
  return list.check(address, range.family);
}

/**
 * What-if windows (`s2s reattribute`): an install replayed under other attribution windows,
 * with the same last-touch rules (attribution.ts) and the click-to-install rule (fraud.ts)
 * that a new winner must pass. Plain functions over what is stored; no I/O.
 *
 * An install is replayed only where what is stored can decide it again: its first install
 * (a reinstall's candidates began at a sighting that is not kept), credited here (not claimed
 * by its sender), not rejected by a fraud rule, and, when it is credited to a touch, that touch
 * still found (not pruned, its IP not yet removed). Anything else keeps its attribution.
 */
import { attribute, installCredit, type Candidates, type Conversion, type InstallCredit, type TouchCandidate } from './attribution.js';
import type { InstallRow } from './entities.js';
import { checkFraud, type FraudRules } from './fraud.js';
import type { Windows } from './windows.js';

/** The windows a what-if sets for every campaign, in seconds; those not given stay as they are. */
export type WindowChange = Partial<Pick<Windows, 'click' | 'view' | 'probabilistic'>>;

/** Why an install keeps its attribution without being replayed. */
export type KeptReason = 'not_a_first_install' | 'claimed' | 'rejected' | 'touch_not_found';

/** Why it cannot be replayed, or undefined when it can (before its candidates are looked up). */
export function keptBeforeLookup(install: InstallRow): KeptReason | undefined {
  if (install.kind !== 'install') return 'not_a_first_install';
  if (install.match_type === 'claimed' || install.source === 'claimed') return 'claimed';
  if (install.status === 'rejected') return 'rejected';
  return undefined;
}

/** A touch under the changed windows. */
export function withWindows(touch: TouchCandidate, change: WindowChange): TouchCandidate {
  return { ...touch, windows: { ...touch.windows, ...change } };
}

/**
 * The attribution of an install under the changed windows, or a reason to keep it as stored.
 * A new winner that a click-to-install rule refuses makes the install rejected, as at ingest.
 */
export function replayInstall(
  install: InstallRow,
  conversion: Conversion,
  candidates: Candidates,
  change: WindowChange,
  rules: Pick<FraudRules, 'minCtitSeconds'>,
): InstallCredit | { kept: KeptReason } {
  const early = keptBeforeLookup(install);
  if (early) return { kept: early };
  const all = [...candidates.byId, ...candidates.byDevice, ...candidates.byIp];
  if (install.touchpoint_id !== null && !all.some((t) => t.touchpoint_id === install.touchpoint_id)) return { kept: 'touch_not_found' };
  const changed = (list: TouchCandidate[]) => list.map((t) => withWindows(t, change));
  const decision = attribute(conversion, { byId: changed(candidates.byId), byDevice: changed(candidates.byDevice), byIp: changed(candidates.byIp) });
  if (decision.touchpoint_id === install.touchpoint_id) return creditOf(install);
  const rejection =
    decision.status === 'attributed'
      ? checkFraud({ installedAt: install.installed_at, touchedAt: decision.touched_at, touchKind: decision.touchpoint_kind, ip: undefined, installsFromIpLast24h: 0 }, { ...rules, maxInstallsPerIp: null, blockedCidrs: [] })
      : null;
  return installCredit(decision, rejection);
}

export function creditOf(install: InstallRow): InstallCredit {
  const { status, match_type, campaign_id, network, touchpoint_id, touched_at, rejected_reason, rejected_value } = install;
  return { status, match_type, campaign_id, network, touchpoint_id, touched_at, rejected_reason, rejected_value };
}

export function sameCredit(a: InstallCredit, b: InstallCredit): boolean {
  return a.status === b.status && a.touchpoint_id === b.touchpoint_id && a.campaign_id === b.campaign_id && a.match_type === b.match_type;
}

/** Installs per campaign (null: organic) that are credited, now and under the change. */
export interface CampaignCount {
  campaign_id: string | null;
  network: string | null;
  now: number;
  what_if: number;
  delta: number;
}

/** Installs counted per campaign as a replay goes (a range's installs are not held). */
export interface Tally {
  installs: number;
  rows: Map<string, CampaignCount>;
  rejected: { now: number; what_if: number };
}

export function newTally(): Tally {
  return { installs: 0, rows: new Map(), rejected: { now: 0, what_if: 0 } };
}

/** Counts one install, now and what-if; a rejected one is credited to none and counted apart. */
export function countInstall(t: Tally, now: InstallCredit, whatIf: InstallCredit): void {
  const row = (a: InstallCredit) => {
    const key = a.campaign_id ?? '';
    const found = t.rows.get(key) ?? { campaign_id: a.campaign_id, network: a.network, now: 0, what_if: 0, delta: 0 };
    t.rows.set(key, found);
    return found;
  };
  t.installs++;
  if (now.status === 'rejected') t.rejected.now++;
  else row(now).now++;
  if (whatIf.status === 'rejected') t.rejected.what_if++;
  else row(whatIf).what_if++;
}

/** The counts, organic last and campaigns by installs now, most first. */
export function tallied(t: Tally): { campaigns: CampaignCount[]; rejected: { now: number; what_if: number } } {
  const rejected = t.rejected;
  const campaigns = [...t.rows.values()].map((r) => ({ ...r, delta: r.what_if - r.now }));
  // Organic last; campaigns by installs now, most first.
  campaigns.sort((a, b) => Number(a.campaign_id === null) - Number(b.campaign_id === null) || b.now - a.now || b.what_if - a.what_if || String(a.campaign_id).localeCompare(String(b.campaign_id)));
  return { campaigns, rejected };
}

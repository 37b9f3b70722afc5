/**
 * The attribution engine: given a conversion (an install, first open, first event) and the
 * touchpoints that might explain it, decide who gets the credit. Plain functions, no I/O:
 * storage finds the candidates, this decides.
 *
 * Last touch, in this order (DESIGN.md §2):
 *   1. click id: a `user_id`, `click_id` or `clkid` that is a known click (or an explicit
 *      `completed_view_id` that is a known view);
 *   2. device id: a click or view carrying one of the conversion's device ids;
 *   3. probabilistic: same IP and user agent (mobile and web), or same IP and platform, plus the
 *      storefront when both sides know it (PC and consoles, as TRACKS measures them).
 * Within a step a click beats a view, and among equals the latest touch wins. A touch counts
 * only inside its window (click, view; a probabilistic match also inside the probabilistic one).
 */
import type { DeviceIds } from './devices.js';
import { DEVICE_ID_KINDS } from './devices.js';
import type { InstallRow } from './entities.js';
import type { Windows } from './windows.js';

export type CampaignKind = 'acquisition' | 'retargeting';
export const CAMPAIGN_KINDS: readonly CampaignKind[] = ['acquisition', 'retargeting'];

/** How an install was credited; `claimed`: the sender attributed it (Chartboost v1 claim=1, attributed_install), nothing was matched here. */
export type MatchType = 'click_id' | 'view_id' | 'device_id' | 'fingerprint' | 'ip' | 'claimed' | 'organic';
export type AttributionStatus = 'attributed' | 'organic' | 'rejected';

export interface TouchCandidate {
  touchpoint_id: string;
  kind: 'click' | 'view';
  campaign_id: string | null;
  /** What the campaign is for: winning new users, or bringing known ones back (domain/engagement.ts). */
  campaign_kind: CampaignKind;
  network: string | null;
  /** Epoch ms. */
  created_at: number;
  ip: string | null;
  user_agent: string | null;
  platform: string | null;
  storefront: string | null;
  idfa: string | null;
  gaid: string | null;
  uuid: string | null;
  fire_adid: string | null;
  /** The windows of the touch's campaign. */
  windows: Windows;
}

export interface Conversion {
  /** Epoch ms of the install (first sight). */
  time: number;
  /** Values that may be click ids: `click_id`, `clkid`, and `user_id` (Swaarm's web flow). */
  clickIds: string[];
  /** Explicit completed view ids (Chartboost `completed_view_id`). */
  viewIds: string[];
  deviceIds: DeviceIds;
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** ios, android, amazon, web, or a PC/console platform such as pc, xbox, playstation. */
  platform: string;
  storefront?: string | undefined;
}

export interface Candidates {
  /** Touchpoints whose id is one of the conversion's click or view ids. */
  byId: TouchCandidate[];
  /** Touchpoints sharing a device id with the conversion. */
  byDevice: TouchCandidate[];
  /** Touchpoints from the conversion's IP. */
  byIp: TouchCandidate[];
}

export interface Decision {
  status: AttributionStatus;
  match_type: MatchType;
  campaign_id: string | null;
  network: string | null;
  touchpoint_id: string | null;
  touchpoint_kind: 'click' | 'view' | null;
  /** Epoch ms of the winning touch, for click-to-install time. */
  touched_at: number | null;
}

/** What an install row keeps of its credit (ingest stores it; a what-if replay rewrites it). */
export type InstallCredit = Pick<InstallRow, 'status' | 'match_type' | 'campaign_id' | 'network' | 'touchpoint_id' | 'touched_at' | 'rejected_reason' | 'rejected_value'>;

/** A decision as an install keeps it: rejected, with the rule's reason, when a fraud rule refused it. */
export function installCredit(decision: Decision, rejection: { reason: string; value: string } | null): InstallCredit {
  return {
    status: rejection ? 'rejected' : decision.status,
    match_type: decision.match_type,
    campaign_id: decision.campaign_id,
    network: decision.network,
    touchpoint_id: decision.touchpoint_id,
    touched_at: decision.touched_at,
    rejected_reason: rejection?.reason ?? null,
    rejected_value: rejection?.value ?? null,
  };
}

export const ORGANIC: Decision = {
  status: 'organic',
  match_type: 'organic',
  campaign_id: null,
  network: null,
  touchpoint_id: null,
  touchpoint_kind: null,
  touched_at: null,
};

const MOBILE_AND_WEB = new Set(['ios', 'android', 'amazon', 'web']);

/** True for platforms matched by IP + user agent; PC and consoles match by IP + platform. */
export function matchesByUserAgent(platform: string): boolean {
  return MOBILE_AND_WEB.has(platform);
}

/** Decides the credit for one conversion. */
export function attribute(conversion: Conversion, candidates: Candidates): Decision {
  const won = lastTouch(conversion, candidates, (t, probabilistic) => inWindow(t, conversion.time, probabilistic));
  return won ? decide(won.touch, won.match) : ORGANIC;
}

/**
 * The last-touch winner among the candidates that `counts` admits (is it inside its window, as
 * the caller means windows), with how it matched: by click or view id, then by device id, then
 * probabilistically. Installs (`attribute`) and re-engagements (engagement.ts) rank alike.
 */
export function lastTouch(
  conversion: Conversion,
  candidates: Candidates,
  counts: (touch: TouchCandidate, probabilistic: boolean) => boolean,
): { touch: TouchCandidate; match: Exclude<MatchType, 'claimed' | 'organic'> } | undefined {
  const byClickId = best(
    candidates.byId.filter(
      (t) =>
        ((t.kind === 'click' && conversion.clickIds.includes(t.touchpoint_id)) ||
          (t.kind === 'view' && conversion.viewIds.includes(t.touchpoint_id))) &&
        counts(t, false),
    ),
  );
  if (byClickId) return { touch: byClickId, match: byClickId.kind === 'click' ? 'click_id' : 'view_id' };

  const byDevice = best(candidates.byDevice.filter((t) => sharesDevice(t, conversion.deviceIds) && counts(t, false)));
  if (byDevice) return { touch: byDevice, match: 'device_id' };

  if (conversion.ip !== undefined) {
    const byUa = matchesByUserAgent(conversion.platform);
    const probable = best(
      candidates.byIp.filter(
        (t) => t.ip === conversion.ip && (byUa ? sameUserAgent(t, conversion) : samePlatform(t, conversion)) && counts(t, true),
      ),
    );
    if (probable) return { touch: probable, match: byUa ? 'fingerprint' : 'ip' };
  }
  return undefined;
}

/** The credit a winning touch gives, matched this way. */
export function decide(touch: TouchCandidate, match: MatchType): Decision {
  return {
    status: 'attributed',
    match_type: match,
    campaign_id: touch.campaign_id,
    network: touch.network,
    touchpoint_id: touch.touchpoint_id,
    touchpoint_kind: touch.kind,
    touched_at: touch.created_at,
  };
}

/** A touch counts if it came before the conversion, inside its window; campaignless touches never do. */
export function inWindow(touch: TouchCandidate, conversionTime: number, probabilistic: boolean): boolean {
  if (touch.campaign_id === null) return false;
  const age = conversionTime - touch.created_at;
  let windowSeconds = touch.kind === 'click' ? touch.windows.click : touch.windows.view;
  if (probabilistic) windowSeconds = Math.min(windowSeconds, touch.windows.probabilistic);
  return age >= 0 && age <= windowSeconds * 1000;
}

/** A click beats a view; among equals the latest wins (then the larger, later-minted id). */
function best(touches: TouchCandidate[]): TouchCandidate | undefined {
  let winner: TouchCandidate | undefined;
  for (const t of touches) {
    if (!winner || outranks(t, winner)) winner = t;
  }
  return winner;
}

function outranks(a: TouchCandidate, b: TouchCandidate): boolean {
  if (a.kind !== b.kind) return a.kind === 'click';
  if (a.created_at !== b.created_at) return a.created_at > b.created_at;
  return a.touchpoint_id > b.touchpoint_id;
}

export function sharesDevice(touch: TouchCandidate, ids: DeviceIds): boolean {
  return DEVICE_ID_KINDS.some((kind) => ids[kind] !== undefined && touch[kind] === ids[kind]);
}

export function sameUserAgent(touch: TouchCandidate, conversion: Conversion): boolean {
  return conversion.userAgent !== undefined && touch.user_agent !== null && touch.user_agent === conversion.userAgent;
}

export function samePlatform(touch: TouchCandidate, conversion: Conversion): boolean {
  if (touch.platform !== null && touch.platform !== conversion.platform) return false;
  if (touch.storefront !== null && conversion.storefront !== undefined && touch.storefront !== conversion.storefront) return false;
  return true;
}

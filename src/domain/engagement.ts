/**
 * Re-engagement and reattribution: what a sighting of a user who has installed already earns a
 * campaign. Plain functions, no I/O: ingest finds the candidate touches, this decides.
 *
 * - **Re-engagement** (AppsFlyer, "Retargeting attribution guide",
 *   support.appsflyer.com/hc/en-us/articles/207033786): the user clicks a campaign of kind
 *   `retargeting` and opens the app within that campaign's re-engagement window (default 7
 *   days). Its events of the re-engagement attribution window that follows (default 30 days)
 *   are credited to that campaign as well as to the install's ("double attribution").
 *   Probabilistic matching counts only where the app allows it (AppsFlyer's probabilistic
 *   modelling does not support indirect re-engagements).
 * - **Reattribution** (Adjust, "Reattribution", help.adjust.com/en/article/reattribution): a
 *   user inactive for at least the inactivity period (default 7 days) clicks a user-acquisition
 *   campaign other than the one it is credited to, and comes back within that campaign's click
 *   window. Its events are credited to that campaign for the attribution window too.
 *
 * Only clicks made since the user was last seen count: a click brings a user back once. Among
 * the touches that count, the usual last-touch order decides (attribution.ts), so a retargeting
 * click and an acquisition click compete as any two clicks do; the winner's campaign kind names
 * what the sighting is. Each keeps the match type it won by.
 */
import { decide, lastTouch, type Candidates, type Conversion, type Decision, type TouchCandidate } from './attribution.js';

export type EngagementKind = 're-engagement' | 'reattribution';
export const ENGAGEMENT_KINDS: readonly EngagementKind[] = ['re-engagement', 'reattribution'];

/** A user's inactivity period before a user-acquisition click may reattribute it, in seconds (Adjust's default). */
export const DEFAULT_INACTIVITY_S = 7 * 86_400;

export interface EngagementRules {
  /** Seconds without a sighting after which a user-acquisition click may reattribute the user. */
  inactivityS: number;
  /** Whether a re-engagement or reattribution may be matched by IP (and user agent); off by default. */
  probabilistic: boolean;
}

/** What the user was, before this sighting. */
export interface KnownUser {
  /** Epoch ms of its last sighting before this one. */
  lastSeenAt: number;
  /** The campaigns it is credited to now: its install's, and an engagement's still running. */
  creditedCampaigns: readonly (string | null)[];
}

export interface Engagement extends Decision {
  kind: EngagementKind;
  /** Epoch ms until which the user's events are credited to this engagement's campaign. */
  creditUntil: number;
}

/** Whether a sighting can be an engagement at all, before any touch is looked up: the lookup is skipped otherwise. */
export function mayEngage(time: number, user: Pick<KnownUser, 'lastSeenAt'>, rules: EngagementRules, appHasRetargeting: boolean): boolean {
  return time > user.lastSeenAt && (appHasRetargeting || inactive(time, user, rules));
}

/** The re-engagement or reattribution this sighting is, if any. */
export function engage(sighting: Conversion, user: KnownUser, candidates: Candidates, rules: EngagementRules): Engagement | undefined {
  const searched = rules.probabilistic ? candidates : { ...candidates, byIp: [] };
  const won = lastTouch(sighting, searched, (touch, probabilistic) => counts(touch, sighting.time, user, rules, probabilistic));
  if (!won) return undefined;
  const kind: EngagementKind = won.touch.campaign_kind === 'retargeting' ? 're-engagement' : 'reattribution';
  return { ...decide(won.touch, won.match), kind, creditUntil: sighting.time + won.touch.windows.reEngagementAttribution * 1000 };
}

/** Whether a touch may bring this user back at `time`: a click since its last sighting, in its campaign's window. */
export function counts(touch: TouchCandidate, time: number, user: KnownUser, rules: EngagementRules, probabilistic: boolean): boolean {
  if (touch.kind !== 'click' || touch.campaign_id === null) return false;
  if (touch.created_at <= user.lastSeenAt || touch.created_at > time) return false;
  let windowS: number;
  if (touch.campaign_kind === 'retargeting') {
    windowS = touch.windows.reEngagement;
  } else {
    if (!inactive(time, user, rules) || user.creditedCampaigns.includes(touch.campaign_id)) return false;
    windowS = touch.windows.click;
  }
  if (probabilistic) windowS = Math.min(windowS, touch.windows.probabilistic);
  return time - touch.created_at <= windowS * 1000;
}

function inactive(time: number, user: Pick<KnownUser, 'lastSeenAt'>, rules: EngagementRules): boolean {
  return time - user.lastSeenAt >= rules.inactivityS * 1000;
}

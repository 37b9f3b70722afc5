/**
 * Why an install was credited as it was: each candidate touch, how it matched the install (by
 * click or view id, by device id, probabilistically, or not at all), whether it was inside its
 * window, and why it won or lost against the winner. Plain functions, no I/O: derived from the
 * stored install and touchpoints, by the same rules as attribution.ts.
 */
import {
  inWindow,
  matchesByUserAgent,
  sameUserAgent,
  samePlatform,
  sharesDevice,
  type Conversion,
  type MatchType,
  type TouchCandidate,
} from './attribution.js';

type Step = Exclude<MatchType, 'claimed' | 'organic'>;
/** The steps of last-touch attribution, first to last (attribution.ts). */
const STEPS: readonly Step[] = ['click_id', 'view_id', 'device_id', 'fingerprint', 'ip'];
const rank = (step: Step): number => (step === 'view_id' ? 0 : STEPS.indexOf(step) - (step === 'click_id' ? 0 : 1));

export interface CandidateExplanation {
  touchpoint_id: string;
  kind: 'click' | 'view';
  campaign_id: string | null;
  network: string | null;
  /** Epoch ms. */
  created_at: number;
  /** How it matched the install, or null when it does not. */
  matched_by: Step | null;
  in_window: boolean;
  verdict: 'won' | 'lost';
  reason: string;
}

/** The step by which a touch matches a conversion, if any. */
export function matchOf(touch: TouchCandidate, conversion: Conversion): Step | null {
  if (touch.kind === 'click' && conversion.clickIds.includes(touch.touchpoint_id)) return 'click_id';
  if (touch.kind === 'view' && conversion.viewIds.includes(touch.touchpoint_id)) return 'view_id';
  if (sharesDevice(touch, conversion.deviceIds)) return 'device_id';
  if (conversion.ip !== undefined && touch.ip === conversion.ip) {
    const byUa = matchesByUserAgent(conversion.platform);
    if (byUa ? sameUserAgent(touch, conversion) : samePlatform(touch, conversion)) return byUa ? 'fingerprint' : 'ip';
  }
  return null;
}

const days = (seconds: number): string => (seconds % 86_400 === 0 ? `${seconds / 86_400}d` : seconds % 3600 === 0 ? `${seconds / 3600}h` : `${seconds}s`);

/** Each candidate's part in the decision; `winner` is the credited touch's id (null: organic or claimed). */
export function explainCandidates(conversion: Conversion, candidates: readonly TouchCandidate[], winner: string | null): CandidateExplanation[] {
  const won = candidates.find((t) => t.touchpoint_id === winner);
  const wonStep = won ? matchOf(won, conversion) : null;
  return candidates.map((touch) => {
    const matched = matchOf(touch, conversion);
    const probabilistic = matched === 'fingerprint' || matched === 'ip';
    const window = inWindow(touch, conversion.time, probabilistic);
    const base = { touchpoint_id: touch.touchpoint_id, kind: touch.kind, campaign_id: touch.campaign_id, network: touch.network, created_at: touch.created_at, matched_by: matched, in_window: window };
    if (touch.touchpoint_id === winner) return { ...base, verdict: 'won' as const, reason: `the latest ${touch.kind} matched by ${matched ?? 'the sender'} inside its window` };
    return { ...base, verdict: 'lost' as const, reason: lossReason(touch, conversion, matched, window, won, wonStep) };
  });
}

function lossReason(touch: TouchCandidate, conversion: Conversion, matched: Step | null, window: boolean, won: TouchCandidate | undefined, wonStep: Step | null): string {
  if (touch.campaign_id === null) return 'it belongs to no campaign';
  if (matched === null) return 'it shares no click id, device id, or IP and user agent with the install';
  if (touch.created_at > conversion.time) return 'it came after the install';
  if (!window) {
    const seconds = touch.kind === 'click' ? touch.windows.click : touch.windows.view;
    const limit = matched === 'fingerprint' || matched === 'ip' ? Math.min(seconds, touch.windows.probabilistic) : seconds;
    return `it was outside its ${matched === 'fingerprint' || matched === 'ip' ? 'probabilistic ' : ''}${touch.kind} window (${days(limit)})`;
  }
  if (!won || wonStep === null) return 'the install was not credited to a touch (the sender claimed it, or it was rejected before)';
  if (rank(matched) > rank(wonStep)) return `a match by ${wonStep} comes before one by ${matched}`;
  if (touch.kind !== won.kind) return 'a click beats a view';
  return 'a later touch won';
}

/**
 * What the wire protocols hand to ingest: normalised records, whatever protocol they came by.
 * Each becomes one op of a group commit.
 */
import type { App } from '../domain/apps.js';
import type { AttributionStatus, Decision, MatchType } from '../domain/attribution.js';
import type { DeviceIds, Identity } from '../domain/devices.js';
import type { EventKind, SkanPostbackRow, Touchpoint } from '../domain/entities.js';

export interface EventRecord {
  kind: EventKind;
  name: string;
  revenue?: number | undefined;
  currency?: string | undefined;
  aggregatedValue?: number | undefined;
  eventValue?: string | undefined;
  productId?: string | undefined;
  /** Identifies a retried delivery of the same event (Idempotency-Key, transaction id). */
  dedupKey?: string | undefined;
  /** For kind `ad_revenue`: what the revenue was earned with. */
  ad?: AdRevenueDetails | undefined;
}

/** Ad revenue's details, as Adjust's `/ad_revenue` and AppLovin MAX's impression postback name them. */
export interface AdRevenueDetails {
  /** Where it was measured: Adjust's `source` (`publisher`, `applovin_max_sdk`, …), `applovin_max` for MAX's postback. */
  source?: string | undefined;
  network?: string | undefined;
  unit?: string | undefined;
  placement?: string | undefined;
  impressions?: number | undefined;
}

/** What an event is for reports: a session (open), a purchase (it carries revenue), or another event. */
export function eventKind(isOpen: boolean, revenue: number | undefined): 'open' | 'purchase' | 'event' {
  if (isOpen) return 'open';
  return revenue !== undefined && revenue > 0 ? 'purchase' : 'event';
}

/** A sighting of a user: an open, an event, a first launch. The first sighting is the install. */
export interface ConversionRecord {
  app: App;
  /** Epoch ms when it happened (the sender's time, else receipt). */
  time: number;
  receivedAt: number;
  /** The protocol it came by, e.g. `swaarm-s2sevent`, `tracks-measure`, `import`. */
  source: string;
  userId?: string | undefined;
  deviceIds: DeviceIds;
  ip?: string | undefined;
  userAgent?: string | undefined;
  /** The platform the sender reports (TRACKS), else the app's. */
  platform?: string | undefined;
  storefront?: string | undefined;
  /** Values that may be click ids (`click_id`, `clkid`, and a Swaarm `user_id`). */
  clickIds: string[];
  viewIds: string[];
  event?: EventRecord | undefined;
  /** Identities beyond device ids and user id (e.g. the click an install is known by). */
  extraIdentities?: Identity[] | undefined;
  /**
   * The sender's own attribution (Chartboost v1 `claim`, attributed_install): taken as given,
   * without running the engine or the fraud rules, which are for installs this server attributes.
   */
  senderAttribution?: Decision | undefined;
  /** Chartboost v2 open with `rejected_reason`: the install credited to these touches is rejected. */
  rejection?: { touchpointIds: string[]; reason: string; value: string | null } | undefined;
}

export interface AttributionSummary {
  status: AttributionStatus;
  match_type: MatchType;
  campaign_id: string | null;
  network: string | null;
  click_id: string | null;
  rejected_reason: string | null;
}

export interface ConversionOutcome {
  userPk: string;
  /** True when this sighting created the user (and so its install). */
  newUser: boolean;
  reinstall: boolean;
  attribution: AttributionSummary;
  eventStored: boolean;
  /** Deliveries this sighting added to the postback outbox. */
  postbacksQueued: number;
}

export type WriteOp =
  | { kind: 'touchpoint'; touchpoint: Touchpoint; idempotencyKey?: string | undefined }
  | { kind: 'conversion'; conversion: ConversionRecord }
  | { kind: 'skan'; postback: SkanPostbackRow };

/**
 * For a touchpoint: whether it was new, and its id (the first request's, for a repeated
 * Idempotency-Key).
 */
export type WriteOutcome =
  | { kind: 'touchpoint'; stored: boolean; id: string }
  | { kind: 'conversion'; outcome: ConversionOutcome }
  /** An Apple postback: false for a repeat of one stored. */
  | { kind: 'skan'; stored: boolean };

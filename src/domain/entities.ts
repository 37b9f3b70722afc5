/**
 * The records the server keeps, as every layer passes them: touchpoints, users, installs and
 * events (what ingest writes), postbacks and their deliveries (the outbox). Each is stored
 * column for column (storage/schema.ts), so a row read back is the entity. Times are epoch
 * milliseconds.
 */
import type { EngagementKind } from './engagement.js';
import type { Verification } from './skan.js';

/** A click or a completed view. */
export interface Touchpoint {
  touchpoint_id: string;
  kind: 'click' | 'view';
  app_id: string;
  campaign_id: string | null;
  network: string | null;
  created_at: number;
  ip: string | null;
  user_agent: string | null;
  platform: string | null;
  storefront: string | null;
  network_click_id: string | null;
  idfa: string | null;
  gaid: string | null;
  uuid: string | null;
  fire_adid: string | null;
  site_id: string | null;
  publisher: string | null;
  creative: string | null;
  sub1: string | null;
  sub2: string | null;
  sub3: string | null;
  sub4: string | null;
  sub5: string | null;
}

/** One person on one app, known by the identities linked to it (device ids, user ids). */
export interface UserRow {
  user_pk: string;
  app_id: string;
  created_at: number;
  last_seen_at: number;
  /** The user's running re-engagement or reattribution (an `installs` row), credited its events until `engaged_until`. */
  engagement_id: string | null;
  engaged_until: number | null;
}

export interface InstallRow {
  install_id: string;
  app_id: string;
  user_pk: string;
  /**
   * `install`: the user's first; `reinstall`: back after the app's absence limit, attributed
   * anew; `re-engagement` / `reattribution`: a known user brought back by a campaign
   * (domain/engagement.ts), `installed_at` being when.
   */
  kind: 'install' | 'reinstall' | EngagementKind;
  installed_at: number;
  status: 'attributed' | 'organic' | 'rejected';
  match_type: string;
  campaign_id: string | null;
  network: string | null;
  touchpoint_id: string | null;
  touched_at: number | null;
  rejected_reason: string | null;
  rejected_value: string | null;
  ip: string | null;
  user_agent: string | null;
  platform: string | null;
  source: string;
}

export interface EventRow {
  event_pk: string;
  app_id: string;
  user_pk: string;
  kind: EventKind;
  name: string;
  occurred_at: number;
  received_at: number;
  revenue: number | null;
  currency: string | null;
  /** Revenue in USD at the rate of the day it arrived; null when its currency had no rate. */
  revenue_usd: number | null;
  aggregated_value: number | null;
  event_value: string | null;
  product_id: string | null;
  ip: string | null;
  user_agent: string | null;
  source: string;
  dedup_key: string | null;
  /** Ad revenue (kind `ad_revenue`): where it was measured (Adjust's `source`, e.g. `applovin_max_sdk`), else null. */
  ad_source: string | null;
  /** The ad network that served the impressions, the ad unit and the placement. */
  ad_network: string | null;
  ad_unit: string | null;
  ad_placement: string | null;
  /** How many impressions the revenue is for. */
  ad_impressions: number | null;
}

/** What an event is for reports: a session, a purchase (revenue from the store), ad revenue, or another event. */
export type EventKind = 'open' | 'event' | 'purchase' | 'ad_revenue';

/** A network's postback as configured (postbacks/formats/ build its requests). */
export interface PostbackRow {
  postback_id: string;
  app_id: string;
  network: string;
  format: string;
  url: string;
  token: string | null;
  secret: string | null;
  app_signature: string | null;
  /** Comma-separated triggers; null: the format's default. */
  events: string | null;
  /** Webhooks: up to how many records one request carries; null: one. */
  batch_size: number | null;
  created_at: number;
  removed_at: number | null;
}

/** One outbound request in the outbox, with its schedule. */
export interface DeliveryRow {
  delivery_id: string;
  postback_id: string;
  app_id: string;
  trigger: string;
  method: string;
  url: string;
  headers: string;
  body: string | null;
  status: 'pending' | 'delivered' | 'failed' | 'dead';
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  created_at: number;
  expires_at: number;
  finished_at: number | null;
  last_status: number | null;
  last_error: string | null;
  dedup_key: string;
  /** How answers are judged (client AnswerRule); null: by the HTTP status. */
  answer_rule: string | null;
}

export interface DeliveryAttemptRow {
  attempt_id: string;
  delivery_id: string;
  attempted_at: number;
  status_code: number | null;
  latency_ms: number;
  response_start: string | null;
  error: string | null;
}

/**
 * An Apple postback, SKAdNetwork's or AdAttributionKit's, as stored: once per (ad network,
 * transaction, sequence index), with what its signature came to. The signed fields have their
 * columns; `conversion_value`, `coarse_conversion_value` and `country_code` are not signed by
 * Apple and are kept apart as such (docs/skan.md).
 */
export interface SkanPostbackRow {
  postback_pk: string;
  app_id: string;
  kind: 'skadnetwork' | 'adattributionkit';
  /** How it came: Apple's developer copy (the well-known paths), or forwarded by a network with a token. */
  source: 'apple' | 'network';
  received_at: number;
  /** SKAdNetwork's `version` (1.0 when absent); null for AdAttributionKit. */
  version: string | null;
  /** `ad-network-id` / `ad-network-identifier`. */
  ad_network_id: string;
  /** `transaction-id` / `postback-identifier`. */
  transaction_id: string;
  /** `postback-sequence-index`: 0, 1 or 2 (0 before SKAdNetwork 4.0). */
  sequence_index: number;
  /** `app-id` / `advertised-item-identifier`: the App Store id of the advertised app. */
  app_store_id: string;
  /** `campaign-id` (SKAdNetwork before 4.0) or `source-identifier`. */
  source_identifier: string | null;
  /** `source-app-id` / `publisher-item-identifier`: the app the ad ran in, when Apple says. */
  source_app_id: string | null;
  source_domain: string | null;
  fidelity_type: number | null;
  /** 1 for a redownload, 0 for a first download, null when not said. */
  redownload: number | null;
  /** 1 for the winning postback, 0 for a non-winning one, null before SKAdNetwork 3.0. */
  did_win: number | null;
  /** AdAttributionKit's `conversion-type`: download, redownload or re-engagement. */
  conversion_type: string | null;
  conversion_value: number | null;
  coarse_conversion_value: string | null;
  country_code: string | null;
  verification: Verification;
  /** The postback as received, JSON. */
  body: string;
}

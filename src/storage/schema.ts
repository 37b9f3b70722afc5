/**
 * Table shapes as Kysely sees them. Times are integer epoch milliseconds in both dialects
 * (BIGINT in PostgreSQL, read back as numbers), booleans are 0/1, so rows look the same
 * whichever database runs.
 */
import type { Generated } from 'kysely';

export interface AppsTable {
  app_id: string;
  name: string;
  platform: string;
  store: string;
  store_url: string | null;
  app_signature: string;
  created_at: number;
  click_window_s: number | null;
  view_window_s: number | null;
  probabilistic_window_s: number | null;
  min_ctit_s: number | null;
  max_installs_per_ip: number | null;
  reinstall_after_days: number | null;
  /** Comma-separated CIDR list. */
  blocked_cidrs: string | null;
}

export interface TokensTable {
  token_id: string;
  name: string | null;
  token_hash: string;
  token_prefix: string;
  /** The signing secret, in clear because it signs; null when the token was issued without one. */
  secret: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface TokenAppsTable {
  token_id: string;
  app_id: string;
}

export interface CampaignsTable {
  campaign_id: string;
  app_id: string;
  network: string;
  name: string;
  cpi: number | null;
  created_at: number;
  click_window_s: number | null;
  view_window_s: number | null;
  probabilistic_window_s: number | null;
}

export interface TouchpointsTable {
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

export interface UsersTable {
  user_pk: string;
  app_id: string;
  created_at: number;
  last_seen_at: number;
}

export interface UserIdentitiesTable {
  app_id: string;
  kind: string;
  value: string;
  user_pk: string;
}

export interface InstallsTable {
  install_id: string;
  app_id: string;
  user_pk: string;
  kind: 'install' | 'reinstall';
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

export interface EventsTable {
  event_pk: string;
  app_id: string;
  user_pk: string;
  kind: 'open' | 'event' | 'purchase';
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
}

export interface PostbacksTable {
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
  created_at: number;
  removed_at: number | null;
}

export interface DeliveriesTable {
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

export interface DeliveryAttemptsTable {
  attempt_id: string;
  delivery_id: string;
  attempted_at: number;
  status_code: number | null;
  latency_ms: number;
  response_start: string | null;
  error: string | null;
}

export interface IdempotencyKeysTable {
  app_id: string;
  idem_key: string;
  record_id: string;
  created_at: number;
}

export interface CurrencyRatesTable {
  currency: string;
  usd_per_unit: number;
  updated_at: number;
}

/** The columns of an install record, without the report summary beside it. */
export const INSTALL_COLUMNS = [
  'install_id', 'app_id', 'user_pk', 'kind', 'installed_at', 'status', 'match_type', 'campaign_id', 'network', 'touchpoint_id',
  'touched_at', 'rejected_reason', 'rejected_value', 'ip', 'user_agent', 'platform', 'source',
] as const satisfies readonly (keyof InstallsTable)[];

/** The columns of an event, in the order inserts bind them. */
export const EVENT_COLUMNS = [
  'event_pk', 'app_id', 'user_pk', 'kind', 'name', 'occurred_at', 'received_at', 'revenue', 'currency', 'revenue_usd',
  'aggregated_value', 'event_value', 'product_id', 'ip', 'user_agent', 'source', 'dedup_key',
] as const satisfies readonly (keyof EventsTable)[];

/** Kept up to date by ingest (one row per first install), read by reports; see migration 0007. */
export interface InstallSummaryColumns {
  opens: Generated<number>;
  purchases: Generated<number>;
  unpriced_purchases: Generated<number>;
  revenue_usd: Generated<number>;
  /** Bit N set: the user opened the app on UTC day install day + N (N = 0..30). */
  active_days: Generated<number>;
}

/** What the max-installs-per-IP rule counts (migration 0011). */
export interface InstallCountedIpColumn {
  /** The install's IP while its app counts installs per IP (max_installs_per_ip), else null. */
  counted_ip: string | null;
}

/** Clicks and views per UTC day; '' stands for "no campaign" or "no network". */
export interface TouchpointDaysTable {
  app_id: string;
  day: number;
  kind: string;
  campaign_id: string;
  network: string;
  count: number;
}

export interface SegmentsTable {
  segment_id: string;
  app_id: string;
  name: string;
  /** The rules as JSON, already parsed and checked (see domain/segments.ts). */
  rules: string;
  created_at: number;
}

/** Event dedup keys (event_uid, transaction_id, Idempotency-Key), claimed before the event is stored. */
export interface EventDedupTable {
  app_id: string;
  dedup_key: string;
  event_pk: string;
  created_at: number;
}

export interface Database {
  apps: AppsTable;
  tokens: TokensTable;
  token_apps: TokenAppsTable;
  campaigns: CampaignsTable;
  touchpoints: TouchpointsTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  installs: InstallsTable & InstallSummaryColumns & InstallCountedIpColumn;
  events: EventsTable;
  postbacks: PostbacksTable;
  deliveries: DeliveriesTable;
  delivery_attempts: DeliveryAttemptsTable;
  idempotency_keys: IdempotencyKeysTable;
  currency_rates: CurrencyRatesTable;
  touchpoint_days: TouchpointDaysTable;
  segments: SegmentsTable;
  event_dedup: EventDedupTable;
}

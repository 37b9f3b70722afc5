/**
 * Table shapes as Kysely sees them. Times are integer epoch milliseconds in both dialects
 * (BIGINT in PostgreSQL, read back as numbers), booleans are 0/1, so rows look the same
 * whichever database runs.
 */
import type { Generated } from 'kysely';
import type { CostRow } from '../domain/costs.js';
import type { SummaryColumn } from '../domain/install-summary.js';
import type { DeliveryAttemptRow, DeliveryRow, EventRow, InstallRow, PostbackRow, SkanPostbackRow, Touchpoint, UserRow } from '../domain/entities.js';

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
  re_engagement_window_s: number | null;
  re_engagement_attribution_window_s: number | null;
  inactivity_window_s: number | null;
  /** 1: re-engagements may be matched by IP; 0 or null: not. */
  re_engagement_probabilistic: number | null;
  /** 1: AdAttributionKit's development keys count (migration 0018). */
  apple_development: number | null;
}

/** An app's name in another tracker's protocol (migration 0014). */
export interface AppAliasesTable {
  protocol: string;
  alias: string;
  app_id: string;
  created_at: number;
}

/** An event's name in another tracker's protocol: Adjust's event token → the event id stored. */
export interface EventAliasesTable {
  app_id: string;
  protocol: string;
  alias: string;
  event_name: string;
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
  /** acquisition | retargeting (migration 0017). */
  kind: string;
  re_engagement_window_s: number | null;
  re_engagement_attribution_window_s: number | null;
}

/** Which campaign an ad network's SKAdNetwork campaign or source id stands for (migration 0021). */
export interface SkanCampaignMapTable {
  app_id: string;
  ad_network_id: string;
  source_identifier: string;
  campaign_id: string;
}

/** What an app's conversion values mean (migration 0021). */
export interface SkanConversionSchemaTable {
  app_id: string;
  kind: 'fine' | 'coarse';
  value: string;
  event: string | null;
  revenue_min_usd: number | null;
  revenue_max_usd: number | null;
}

/** Jobs every server process may run, one at a time (migration 0020). */
export interface JobRunsTable {
  name: string;
  lease_until: number;
  done_until: number;
}

/** The erasure log (migration 0019): counts only, never the ids erased. */
export interface ErasuresTable {
  erasure_id: string;
  app_id: string;
  requested_at: number;
  source: string;
  users: number;
  /** JSON: rows per table. */
  rows: string;
}

// The record tables hold the entities of domain/entities.ts column for column.
export type TouchpointsTable = Touchpoint;

export type UsersTable = UserRow;

export interface UserIdentitiesTable {
  app_id: string;
  kind: string;
  value: string;
  user_pk: string;
}

export type InstallsTable = InstallRow;

export type EventsTable = EventRow;

export type PostbacksTable = PostbackRow;

export type DeliveriesTable = DeliveryRow;

export type DeliveryAttemptsTable = DeliveryAttemptRow;

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
  'ad_source', 'ad_network', 'ad_unit', 'ad_placement', 'ad_impressions',
] as const satisfies readonly (keyof EventsTable)[];

/**
 * The history tables and the time each is kept by: rows older than a cutoff go by it (`s2s
 * prune`), and PostgreSQL partitions the table by month on it (postgres/partitions.ts).
 */
export const HISTORY_TABLES = { touchpoints: 'created_at', events: 'occurred_at' } as const;
export type HistoryTable = keyof typeof HISTORY_TABLES;

/** Kept up to date by ingest (one row per first install), read by reports: domain/install-summary.ts. */
export type InstallSummaryColumns = { [column in SummaryColumn]: Generated<number> };

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
  costs: CostRow;
  skan_postbacks: SkanPostbackRow;
  erasures: ErasuresTable;
  job_runs: JobRunsTable;
  skan_campaign_map: SkanCampaignMapTable;
  skan_conversion_schema: SkanConversionSchemaTable;
  touchpoint_days: TouchpointDaysTable;
  segments: SegmentsTable;
  event_dedup: EventDedupTable;
  app_aliases: AppAliasesTable;
  event_aliases: EventAliasesTable;
}

import type { CampaignKind } from './attribution.js';

/** What an app is: the platforms and stores the seeds and the trackers we replace know. */

export const PLATFORMS = ['ios', 'android', 'amazon', 'pc', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

/**
 * Storefronts. `itunes`, `google_play` and `amazon` are Chartboost's names; the PC stores are
 * the ones TRACKS games ship on (its `storefront` field).
 */
export const STORES = [
  'itunes',
  'google_play',
  'amazon',
  'steam',
  'epic',
  'gog',
  'microsoft',
  'itch',
  'web',
  'other',
] as const;
export type Store = (typeof STORES)[number];

const DEFAULT_STORE: Record<Platform, Store> = {
  ios: 'itunes',
  android: 'google_play',
  amazon: 'amazon',
  pc: 'steam',
  web: 'web',
};

/** The store an app is sold in when its creator did not say. */
export function defaultStore(platform: Platform): Store {
  return DEFAULT_STORE[platform];
}

/** An app's own attribution windows and fraud rules; null means the documented default. */
export interface AppSettings {
  click_window_s: number | null;
  view_window_s: number | null;
  probabilistic_window_s: number | null;
  min_ctit_s: number | null;
  max_installs_per_ip: number | null;
  blocked_cidrs: string[];
  reinstall_after_days: number | null;
  /** Re-engagement (domain/engagement.ts): how long a retargeting click counts, how long its user's events are credited. */
  re_engagement_window_s: number | null;
  re_engagement_attribution_window_s: number | null;
  /** How long a user must have been away before a user-acquisition click reattributes it. */
  inactivity_window_s: number | null;
  /** Whether re-engagements and reattributions may be matched by IP; null: no (the default). */
  re_engagement_probabilistic: boolean | null;
  /** Whether AdAttributionKit postbacks signed with Apple's development keys count (testing only); null: no. */
  apple_development: boolean | null;
}

export const EMPTY_SETTINGS: AppSettings = {
  click_window_s: null,
  view_window_s: null,
  probabilistic_window_s: null,
  min_ctit_s: null,
  max_installs_per_ip: null,
  blocked_cidrs: [],
  reinstall_after_days: null,
  re_engagement_window_s: null,
  re_engagement_attribution_window_s: null,
  inactivity_window_s: null,
  re_engagement_probabilistic: null,
  apple_development: null,
};

/** A known user seen again after this many days of silence has reinstalled. */
export const DEFAULT_REINSTALL_AFTER_DAYS = 30;

export interface App {
  app_id: string;
  name: string;
  platform: Platform;
  store: Store;
  store_url: string | null;
  app_signature: string;
  settings: AppSettings;
  /** Whether any campaign of the app is a retargeting one: only then are known users' sightings matched against clicks. */
  has_retargeting: boolean;
  created_at: string;
}

export interface Campaign {
  campaign_id: string;
  app_id: string;
  network: string;
  name: string;
  cpi: number | null;
  /** `acquisition` wins new users (and reattributes inactive ones), `retargeting` re-engages known users. */
  kind: CampaignKind;
  /** Windows that override the app's for this campaign; null: the app's. */
  click_window_s: number | null;
  view_window_s: number | null;
  probabilistic_window_s: number | null;
  re_engagement_window_s: number | null;
  re_engagement_attribution_window_s: number | null;
  created_at: string;
}

export interface TokenInfo {
  token_id: string;
  name: string | null;
  /** The first characters of the token, enough to recognise it in a list; the token itself is never stored. */
  token_prefix: string;
  app_ids: string[];
  has_secret: boolean;
  created_at: string;
  revoked_at: string | null;
}

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

export interface App {
  app_id: string;
  name: string;
  platform: Platform;
  store: Store;
  store_url: string | null;
  app_signature: string;
  created_at: string;
}

export interface Campaign {
  campaign_id: string;
  app_id: string;
  network: string;
  name: string;
  cpi: number | null;
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

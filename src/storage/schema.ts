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
}

export interface TouchpointsTable {
  touchpoint_id: string;
  kind: 'click' | 'view';
  app_id: string;
  campaign_id: string;
  network: string;
  created_at: number;
  ip: string | null;
  user_agent: string | null;
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

export interface Database {
  apps: AppsTable;
  tokens: TokensTable;
  token_apps: TokenAppsTable;
  campaigns: CampaignsTable;
  touchpoints: TouchpointsTable;
}

// Kept so a future serial column has the type at hand without another import dance.
export type { Generated };

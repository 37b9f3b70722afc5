/**
 * The storage interface: everything the server and the CLI ask of a database. There is one
 * implementation of the queries (Kysely) and one dialect per database behind it; nothing
 * outside storage/ knows which database runs.
 */
import type { App, Campaign, Platform, Store as Storefront, TokenInfo } from '../domain/apps.js';

export type DialectName = 'sqlite' | 'postgres';

export interface NewApp {
  name: string;
  platform: Platform;
  store: Storefront;
  store_url: string | null;
}

export interface NewToken {
  name: string | null;
  token_hash: string;
  token_prefix: string;
  secret: string | null;
  app_ids: string[];
}

/** What an inbound request may do with a token: read on every authenticated request, so kept small. */
export interface TokenGrant {
  token_id: string;
  secret: string | null;
  app_ids: string[];
  revoked: boolean;
}

export interface NewCampaign {
  app_id: string;
  network: string;
  name: string;
  cpi: number | null;
}

export interface Touchpoint {
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

/**
 * One record for the group-commit writer. Each kind of ingested record adds a variant here
 * and a case in the store's applyWrites; every variant of a batch commits in one transaction.
 */
export type WriteOp = { kind: 'touchpoint'; touchpoint: Touchpoint };

/** What became of one op: `stored` is false when the record was already there (a retry). */
export interface WriteOutcome {
  stored: boolean;
}

export interface MigrationReport {
  applied: string[];
  current: string | null;
}

export interface Store {
  readonly dialect: DialectName;
  /** How many group commits may run at once: 1 for SQLite's single writer, more for a pool. */
  readonly writeConcurrency: number;
  /** Creates the database (and schema) if needed and applies every pending migration. */
  migrate(): Promise<MigrationReport>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createApp(app: NewApp): Promise<App>;
  getApp(appId: string): Promise<App | undefined>;
  listApps(): Promise<App[]>;

  createToken(token: NewToken): Promise<TokenInfo>;
  listTokens(): Promise<TokenInfo[]>;
  findTokenByHash(tokenHash: string): Promise<TokenGrant | undefined>;
  /** Marks a token revoked, found by its hash or its id; undefined when no such token exists. */
  revokeToken(by: { token_hash: string } | { token_id: string }): Promise<TokenInfo | undefined>;

  createCampaign(campaign: NewCampaign): Promise<Campaign>;
  getCampaign(campaignId: string): Promise<Campaign | undefined>;
  listCampaigns(appId?: string): Promise<Campaign[]>;

  getTouchpoint(touchpointId: string): Promise<Touchpoint | undefined>;

  /** Commits every op in one transaction; the outcomes line up with the ops. All or nothing. */
  applyWrites(ops: readonly WriteOp[]): Promise<WriteOutcome[]>;
}

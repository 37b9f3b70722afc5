import type { FastifyInstance } from 'fastify';
import type { RateLimiter } from '../auth/rate-limit.js';
import type { TokenAuthenticator } from '../auth/token-auth.js';
import type { Clock } from '../domain/clock.js';
import type { Catalog } from '../ingest/catalog.js';
import type { IngestPipeline } from '../ingest/pipeline.js';
import type { Touchpoint } from '../domain/entities.js';
import type { ErasureRequest } from '../storage/store.js';

/**
 * What a wire protocol's routes may use, and nothing more: they read apps, campaigns and
 * tokens, hand validated records to the ingest pipeline and wait for its answer. They never
 * see the store or the write queue. Built once per server by the composition root (app.ts).
 */
export interface ProtocolContext {
  /** Tokens and the apps they are granted (cached). */
  tokens: Pick<TokenAuthenticator, 'authorize' | 'grantedApps'>;
  rateLimiter: Pick<RateLimiter, 'take' | 'perSecond'>;
  /** Apps and campaigns, and the names other trackers' protocols give them (cached). */
  catalog: Pick<Catalog, 'getApp' | 'getCampaign' | 'appByAlias' | 'eventAlias'>;
  ingest: Pick<IngestPipeline, 'record' | 'recordAll' | 'recordTouch' | 'recordSkan'>;
  /** The read a protocol needs beyond the catalog: a stored click or view by id. */
  touchpoints: {
    get(touchpointId: string): Promise<Touchpoint | undefined>;
  };
  /** Erasure at a user's request (Adjust's gdpr_forget_device): storage/erasure-queries.ts. */
  privacy: {
    forget(appId: string, request: ErasureRequest, source: string): Promise<{ erasure_id: string }>;
  };
  /** The time records are stamped with, and sender times are checked against. */
  clock: Clock;
  /** The server's body limit; a route may raise its own (`/measure`). */
  bodyLimitBytes: number;
}

/**
 * A wire protocol: its routes as one Fastify plugin, and the names that carry its credentials,
 * which the logger redacts. Registered by one line in `protocols/index.ts`.
 */
export interface Protocol {
  name: string;
  plugin: (app: FastifyInstance, ctx: ProtocolContext) => Promise<void>;
  credentials: {
    /** Query and form parameters holding a token or secret. */
    params: readonly string[];
    /** Headers holding a token or signature (lower case). */
    headers: readonly string[];
  };
}

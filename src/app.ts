import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { adminRoutes } from './admin/admin.routes.js';
import { RateLimiter } from './auth/rate-limit.js';
import { TokenAuthenticator } from './auth/token-auth.js';
import type { Config } from './config.js';
import { systemClock, type Clock } from './domain/clock.js';
import { dashboardRoutes } from './http/dashboard.routes.js';
import { Metrics } from './http/metrics.js';
import { createHttpServer } from './http/server.js';
import { Catalog } from './ingest/catalog.js';
import { buildIngestPipeline, type IngestPipeline } from './ingest/pipeline.js';
import { createLogger } from './logger.js';
import { healthRoutes } from './ops/health.routes.js';
import { Dispatcher } from './postbacks/dispatcher.js';
import { MAX_BATCH_SIZE } from './postbacks/formats/webhook.js';
import type { ProtocolContext } from './protocols/context.js';
import { PROTOCOLS } from './protocols/index.js';
import type { Store } from './storage/store.js';

/** What the server is built from; tests reach into it. */
export interface Services {
  config: Config;
  store: Store;
  auth: TokenAuthenticator;
  catalog: Catalog;
  dispatcher: Dispatcher;
  ingest: IngestPipeline;
  metrics: Metrics;
}

export interface AppDeps {
  store: Store;
  logger?: Logger;
  /** What the caches, the rate limiter and the routes read the time from; tests pass one they advance. */
  clock?: Clock;
}

/**
 * The composition root: builds the server's parts from the store and the config (caches, the
 * ingest pipeline, the postback dispatcher), gives each group of routes only what it needs and
 * registers them: health, the dashboard, every protocol in `protocols/index.ts`, the admin API.
 * Closing the app flushes the ingest pipeline and stops the dispatcher; the store belongs to
 * the caller.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<{ app: FastifyInstance; services: Services }> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const { store } = deps;
  const clock = deps.clock ?? systemClock;
  const catalog = new Catalog(store, config.authCacheMs, clock);
  const auth = new TokenAuthenticator(store, config.authCacheMs, clock);
  const dispatcher = new Dispatcher(
    store,
    {
      retryBaseMs: config.retryBaseMs,
      timeoutMs: config.dispatchTimeoutMs,
      perDestination: config.dispatchPerDestination,
      pollMs: config.dispatchPollMs,
      leaseMs: Math.max(60_000, config.dispatchTimeoutMs * 3),
      // A webhook's batch is made of one claim: at least MAX_BATCH_SIZE (formats/webhook.ts).
      batch: Math.max(100, MAX_BATCH_SIZE),
      onOutcome: (outcome) => metrics.postbacks.inc({ outcome }),
      postbackOf: (postbackId) => catalog.getPostback(postbackId),
    },
    logger,
  );
  const ingest = buildIngestPipeline(store, {
    batchDelayMs: config.writeBatchDelayMs,
    maxBatch: config.writeBatchMaxRows,
    maxQueue: config.writeQueueLimit,
    postbacksFor: (appId) => catalog.getPostbacks(appId),
    rates: () => catalog.getRates(),
    retryTtlMs: config.retryTtlMs,
    onPostbacksQueued: () => dispatcher.wake(),
    onCommit: (size, ms, ok) => metrics.recordCommit(size, ms, ok),
  });
  metrics.watchQueueDepth('s2s_write_queue_depth', 'Records waiting for a group commit', () => ingest.depth);
  metrics.watchDeliveries(() => store.countDeliveries());
  const protocolContext: ProtocolContext = {
    tokens: auth,
    rateLimiter: new RateLimiter(config.rateLimitPerToken, clock),
    clock,
    catalog,
    ingest,
    touchpoints: {
      get: (touchpointId) => store.getTouchpoint(touchpointId),
    },
    privacy: {
      forget: (appId, request, source) => store.forget(appId, request, source, clock()),
    },
    bodyLimitBytes: config.bodyLimitBytes,
  };

  const app = await createHttpServer(config, logger, metrics);
  await app.register(healthRoutes, { store, metrics, writes: ingest });
  await app.register(dashboardRoutes);
  for (const protocol of PROTOCOLS) await app.register(protocol.plugin, protocolContext);

  if (config.adminToken) {
    await app.register(adminRoutes, {
      prefix: '/admin',
      store,
      auth,
      adminToken: config.adminToken,
      publicUrl: config.publicUrl,
      onAppChanged: () => catalog.invalidate(),
      retryTtlMs: config.retryTtlMs,
      onRetry: () => dispatcher.wake(),
    });
  } else {
    logger.warn('S2S_ADMIN_TOKEN is not set: the admin API under /admin is off');
    app.all('/admin/*', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(404).send({ status: 404, message: 'the admin API is off: set S2S_ADMIN_TOKEN to turn it on' }),
    );
  }

  app.addHook('onReady', async () => {
    dispatcher.start();
  });
  app.addHook('onClose', async () => {
    await ingest.close();
    await dispatcher.stop();
  });

  return { app, services: { config, store, auth, catalog, dispatcher, ingest, metrics } };
}

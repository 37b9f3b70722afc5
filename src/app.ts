import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import { adminRoutes } from './admin/admin.routes.js';
import { TokenAuthenticator } from './auth/token-auth.js';
import { RateLimiter } from './auth/rate-limit.js';
import type { Config } from './config.js';
import { newId } from './domain/ids.js';
import { invalidQuery, parseQueryString, registerBodyParsers } from './http/body-parsers.js';
import { badRequest } from './errors.js';
import { dashboardRoutes } from './http/dashboard.routes.js';
import { answerFrameworkError, registerErrorHandler } from './http/error-handler.js';
import { Metrics } from './http/metrics.js';
import { registerNulGuard } from './http/nul-guard.js';
import { registerValidation } from './http/validation.js';
import { WriteQueue } from './ingest/write-queue.js';
import { IngestJournal } from './ingest/journal.js';
import { createLogger, lazyChildLoggerFactory } from './logger.js';
import { healthRoutes } from './ops/health.routes.js';
import { clickRoute } from './protocols/tracking/click.route.js';
import { viewRoute } from './protocols/tracking/view.route.js';
import { postbackRoute } from './protocols/swaarm/postback.route.js';
import { s2sEventRoute } from './protocols/swaarm/s2sevent.route.js';
import { measureRoute } from './protocols/tracks/measure.route.js';
import { v1InstallRoute } from './protocols/chartboost/v1-install.route.js';
import { v2AttributedInstallRoute } from './protocols/chartboost/v2-attributed-install.route.js';
import { v2OpenRoute } from './protocols/chartboost/v2-open.route.js';
import { v3TrackRoute } from './protocols/chartboost/v3-track.route.js';
import { isDatabaseOutage } from './storage/db.js';
import type { Store } from './storage/store.js';
import { applyBatch } from './ingest/apply-batch.js';
import { Catalog } from './ingest/catalog.js';
import { Dispatcher } from './postbacks/dispatcher.js';
import type { WriteOp, WriteOutcome } from './ingest/records.js';

/** What every route may use; built once per server. */
export interface Services {
  config: Config;
  store: Store;
  auth: TokenAuthenticator;
  catalog: Catalog;
  rateLimiter: RateLimiter;
  dispatcher: Dispatcher;
  writer: WriteQueue<WriteOp, WriteOutcome>;
  /** Present with S2S_INGEST_JOURNAL=on: conversions answered on their journal append. */
  journal: IngestJournal | undefined;
  metrics: Metrics;
}

export interface AppDeps {
  store: Store;
  logger?: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the HTTP application: plugins, routes and the one error handler. It never listens;
 * main.ts does, and tests call `inject` or `listen` on port 0. Closing the app flushes the
 * write queue; the store belongs to the caller.
 */
export async function buildApp(config: Config, deps: AppDeps): Promise<{ app: FastifyInstance; services: Services }> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  const { store } = deps;
  const catalog = new Catalog(store, config.authCacheMs);
  const dispatcher = new Dispatcher(
    store,
    {
      retryBaseMs: config.retryBaseMs,
      timeoutMs: config.dispatchTimeoutMs,
      perDestination: config.dispatchPerDestination,
      pollMs: config.dispatchPollMs,
      leaseMs: Math.max(60_000, config.dispatchTimeoutMs * 3),
      batch: 100,
      onOutcome: (outcome) => metrics.postbacks.inc({ outcome }),
    },
    logger,
  );
  const batchContext = { postbacksFor: (appId: string) => catalog.getPostbacks(appId), retryTtlMs: config.retryTtlMs, rates: () => catalog.getRates() };
  const writer = new WriteQueue<WriteOp, WriteOutcome>(async (ops) => {
    const outcomes = await applyBatch(store, ops, batchContext);
    // A commit that queued postbacks sends them now rather than at the next poll (waking on
    // every commit cost a claim query per batch, 2 % of an ingest benchmark, for apps without).
    if (outcomes.some((o) => o.kind === 'conversion' && o.outcome.postbacksQueued > 0)) dispatcher.wake();
    return outcomes;
  }, {
    batchDelayMs: config.writeBatchDelayMs,
    maxBatch: config.writeBatchMaxRows,
    maxQueue: config.writeQueueLimit,
    concurrency: store.writeConcurrency,
    onCommit: (size, ms, ok) => metrics.recordCommit(size, ms, ok),
    isOutage: isDatabaseOutage,
  });
  metrics.watchQueueDepth('s2s_write_queue_depth', 'Records waiting for a group commit', () => writer.depth);
  const journal = config.ingestJournal
    ? new IngestJournal(store, (op) => writer.submit(op), (appId) => catalog.getApp(appId), { maxPending: config.ingestJournalMax, pollMs: 1000 }, logger, (ops) => writer.submitAll(ops))
    : undefined;
  if (journal) metrics.watchQueueDepth('s2s_ingest_journal_pending', 'Conversions acknowledged and not yet attributed', () => journal.pending);
  metrics.watchDeliveries(() => store.countDeliveries());
  const services: Services = {
    config,
    store,
    auth: new TokenAuthenticator(store, config.authCacheMs),
    catalog,
    rateLimiter: new RateLimiter(config.rateLimitPerToken),
    writer,
    journal,
    dispatcher,
    metrics,
  };

  // Node's own limits: headers and the whole request within the configured timeout (30 s),
  // checked often enough to hold a slow client about that long rather than up to twice it (Node
  // checks every 30 s by default). A missing Host header is refused below, as JSON.
  const serverOptions = {
    headersTimeout: config.requestTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(config.requestTimeoutMs / 10))),
    requireHostHeader: false,
  };
  const app = Fastify({
    // HTTPS when a certificate is given (the seeds require HTTPS); else plain HTTP behind a proxy.
    ...(config.tlsCertFile && config.tlsKeyFile
      ? { https: { ...serverOptions, cert: fs.readFileSync(config.tlsCertFile), key: fs.readFileSync(config.tlsKeyFile) } }
      : { http: serverOptions }),
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: false,
    // Two info lines per request would cost more than the request at ingest rates: refusals
    // are logged by the error handler (warn), and every completion at debug (below).
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLoggerFactory as unknown as FastifyServerOptions['childLoggerFactory'],
    // Accept a caller's request id when it is a sane token, so logs can be joined across hops.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newId();
    },
    // Query strings decode as strict UTF-8, as form bodies do (http/body-parsers.ts).
    routerOptions: { maxParamLength: 500, querystringParser: parseQueryString },
    return503OnClosing: true,
    connectionTimeout: config.requestTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    forceCloseConnections: 'idle',
    // A path with a bad %-escape or invalid UTF-8 is refused in the shape every error has.
    frameworkErrors: answerFrameworkError as FastifyServerOptions['frameworkErrors'],
    // Errors Node's HTTP parser raises before Fastify sees a request (a URL or headers over
    // the 16 KB limit, a malformed request line) get the same JSON shape as every other error.
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const message = status === 431 ? 'headers: the URL or headers are larger than 16 KB' : status === 408 ? 'request: timed out' : 'request: malformed HTTP';
      const body = JSON.stringify({ status, message });
      if (socket.writable) {
        socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      } else {
        socket.destroy();
      }
    },
    // X-Forwarded-For counts only from configured proxies (load balancers, Chartboost's
    // callback servers); from anyone else it could forge the IP that attribution matches on.
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
  });

  // Per-request hooks take Fastify's callback form: an async hook costs a promise and a
  // microtask turn each, which at ingest rates is measurable (docs/performance.md).
  app.addHook('onRequest', (request, _reply, done) => {
    // HTTP/1.1 requires Host (RFC 9112 3.2); Node's own refusal would be an empty 400.
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') done(badRequest('host: the Host header is required'));
    else done(invalidQuery(request.query));
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (logger.isLevelEnabled('debug')) {
      request.log.debug({ req: request, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request completed');
    }
    done();
  });

  registerBodyParsers(app);
  registerErrorHandler(app);
  registerNulGuard(app);
  registerValidation(app);
  metrics.instrument(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 's2s-attribution',
        description: 'Self-hosted S2S attribution and postback server',
        version: '0.1.0',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(healthRoutes, { store, metrics, writes: writer });
  await app.register(dashboardRoutes);
  await app.register(clickRoute, services);
  await app.register(viewRoute, services);
  await app.register(postbackRoute, services);
  await app.register(s2sEventRoute, services);
  await app.register(measureRoute, services);
  await app.register(v1InstallRoute, services);
  await app.register(v2AttributedInstallRoute, services);
  await app.register(v2OpenRoute, services);
  await app.register(v3TrackRoute, services);

  if (config.adminToken) {
    await app.register(adminRoutes, {
      prefix: '/admin',
      store,
      auth: services.auth,
      adminToken: config.adminToken,
      publicUrl: config.publicUrl,
      onAppChanged: () => services.catalog.invalidate(),
      retryTtlMs: config.retryTtlMs,
      onRetry: () => dispatcher.wake(),
    });
  } else {
    logger.warn('S2S_ADMIN_TOKEN is not set: the admin API under /admin is off');
    app.all('/admin/*', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(404).send({ status: 404, message: 'the admin API is off: set S2S_ADMIN_TOKEN to turn it on' }),
    );
  }

  // Graceful stop. Node closes the connections that are idle when the server stops
  // listening, but a keep-alive connection whose request was in flight then stays open until
  // its client hangs up; sweeping idle connections until every one is gone lets in-flight
  // requests finish and still ends the close promptly (and, past a deadline, ends it anyway).
  let sweeper: NodeJS.Timeout | undefined;
  let deadline: NodeJS.Timeout | undefined;
  app.addHook('preClose', async () => {
    sweeper = setInterval(() => app.server.closeIdleConnections(), 50);
    deadline = setTimeout(() => app.server.closeAllConnections(), 10_000);
  });
  app.addHook('onReady', async () => {
    await journal?.start();
    dispatcher.start();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    clearTimeout(deadline);
    // The applier's round in progress finishes; what it leaves is recorded at the next start.
    await journal?.stop();
    await writer.close();
    await dispatcher.stop();
  });

  return { app, services };
}

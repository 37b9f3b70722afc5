import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { newId } from '../domain/ids.js';
import { badRequest } from '../errors.js';
import { invalidQuery, parseQueryString, registerBodyParsers } from './body-parsers.js';
import { answerFrameworkError, registerErrorHandler } from './error-handler.js';
import { lazyChildLoggerFactory } from './lazy-logger.js';
import type { Metrics } from './metrics.js';
import { registerNulGuard } from './nul-guard.js';
import { registerValidation } from './validation.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The HTTP server every route shares, without routes: Node's limits, body parsers, the one
 * error handler, input guards, metrics, the OpenAPI document and a graceful stop. It never
 * listens; main.ts does, and tests call `inject` or `listen` on port 0.
 */
export async function createHttpServer(config: Config, logger: Logger, metrics: Metrics): Promise<FastifyInstance> {
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
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    clearTimeout(deadline);
  });
  return app;
}

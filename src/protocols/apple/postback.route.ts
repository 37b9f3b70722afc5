import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RateLimiter } from '../../auth/rate-limit.js';
import type { App } from '../../domain/apps.js';
import { AppError, badRequest, notFound } from '../../errors.js';
import type { ProtocolContext } from '../context.js';
import { bearerToken, resolveAppAccess } from '../token-access.js';
import { readPostback, type ReadPostback } from './postbacks.js';

/** Where Apple posts the developer's copies (Info.plist `NSAdvertisingAttributionReportEndpoint`, AdAttributionKit's `AttributionCopyEndpoint`). */
export const SKAN_COPY_PATH = '/.well-known/skadnetwork/report-attribution/';
export const AAK_COPY_PATH = '/.well-known/appattribution/report-attribution/';
/** Where a network forwards the postbacks it received, with a token granted the app. */
export const NETWORK_PATH = '/skan/postbacks';

const RECEIVED = { status: 'received' } as const;
/** A postback is well under 2 KB: a larger body is no postback. */
const BODY_LIMIT = 8 * 1024;
/**
 * Apple's copies come unauthenticated, each device posting a few times per install: more than
 * this many a second from one address is a flood, answered 429 (Apple retries later).
 */
const COPIES_PER_SECOND_PER_IP = 50;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
// No `type`: the handler's own check names what is wrong (`body: must be a JSON object`).
const BODY = { description: 'the postback as Apple sent it (SKAdNetwork JSON, or AdAttributionKit with jws-string)' };

/**
 * SKAdNetwork and AdAttributionKit postbacks (docs/skan.md). Apple's copies come unauthenticated
 * to the well-known paths (StoreKit, "Configuring an advertised app"; AdAttributionKit,
 * "Configuring an advertised app"): they are answered 200 `{"status":"received"}` whatever their
 * signature comes to, and stored for the app whose App Store id they name (`s2s apps configure
 * --app-store-id`), else dropped. Apple retries a postback not answered 200, so a repeat is
 * answered alike and stored once. A network forwards with `Authorization: Bearer <token>`.
 */
export async function postbackRoutes(app: FastifyInstance, ctx: ProtocolContext): Promise<void> {
  // Apple names no Content-Type for its POST: any body is read as JSON (text/plain too, which
  // Fastify would otherwise hand over as a string). Encapsulated: only these routes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(UTF8.decode(body)));
    } catch {
      done(badRequest('body: malformed JSON'));
    }
  });

  const limiter = new RateLimiter(COPIES_PER_SECOND_PER_IP, ctx.clock);
  for (const url of [SKAN_COPY_PATH, AAK_COPY_PATH]) {
    app.post(url, { bodyLimit: BODY_LIMIT, schema: { tags: ['apple'], body: BODY } }, async (request) => {
      if (!limiter.take(request.ip)) throw new AppError(429, `ip: more than ${COPIES_PER_SECOND_PER_IP} postbacks a second from ${request.ip}`, { 'retry-after': '1' });
      const read = readPostback(request.body);
      const target = await ctx.catalog.appByAlias('apple', read.appStoreId);
      if (!target) {
        request.log.warn({ app_store_id: read.appStoreId, kind: read.kind }, 'apple postback: no app has this App Store id (s2s apps configure --app-store-id); not stored');
        return RECEIVED;
      }
      await store(ctx, read, target, 'apple');
      return RECEIVED;
    });
  }

  app.post(NETWORK_PATH, { bodyLimit: BODY_LIMIT, schema: { tags: ['apple'], body: BODY } }, async (request) => {
    const token = bearerToken(request);
    if (token === undefined) throw new AppError(401, 'authorization: is required ("Bearer <token>")');
    // Who asks first: which App Store ids this server knows is no business of a stranger's.
    if ((await ctx.tokens.grantedApps(token)).length === 0) throw new AppError(401, 'authorization: is not a valid token');
    const read = readPostback(request.body);
    const target = await ctx.catalog.appByAlias('apple', read.appStoreId);
    const field = read.kind === 'skadnetwork' ? 'app-id' : 'jws-string: advertised-item-identifier';
    if (!target) throw notFound(`${field}: no app has App Store id ${read.appStoreId} (s2s apps configure --app-store-id)`);
    const { app: granted } = await resolveAppAccess(ctx, token, target.app_id, 403, 'authorization');
    await store(ctx, read, granted, 'network');
    return RECEIVED;
  });
}

async function store(ctx: ProtocolContext, read: ReadPostback, app: App, source: 'apple' | 'network'): Promise<void> {
  await ctx.ingest.recordSkan(read.row(app.app_id, { source, receivedAt: ctx.clock(), development: app.settings.apple_development ?? false }));
}

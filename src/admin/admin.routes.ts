import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { constantTimeEqual } from '../auth/credentials.js';
import type { AdminContext } from './context.js';
import { notFound, unauthorized } from '../errors.js';
import * as ops from './operations.js';
import { PLATFORMS, STORES } from '../domain/apps.js';
import { CAMPAIGN_KINDS } from '../domain/attribution.js';
import { POSTBACK_FORMATS } from '../postbacks/formats/index.js';
import { WEBHOOK_EVENTS } from '../postbacks/formats/webhook.js';
import { EXPORT_FORMATS, EXPORT_TYPES } from '../reports/export.js';
import { postbackRoutes } from './postbacks.routes.js';
import { reportRoutes } from './reports.routes.js';
import { costRoutes } from './costs.routes.js';
import { skanRoutes } from './skan.routes.js';
import { erasureRoutes } from './erasure.routes.js';
import { userRoutes } from './users.routes.js';
import {
  AliasesInput,
  AliasesOutput,
  AppInput,
  AppOutput,
  AppSettingsInput,
  CampaignInput,
  CampaignOutput,
  ADMIN_ERRORS,
  ADMIN_SECURITY,
  ErrorOutput,
  IdString,
  IssuedTokenOutput,
  TokenInput,
  TokenOutput,
} from './schemas.js';


const security = ADMIN_SECURITY;
const errors = ADMIN_ERRORS;

/** The admin API: the CLI's operations over HTTP, behind `Authorization: Bearer $S2S_ADMIN_TOKEN`. */
export async function adminRoutes(app: FastifyInstance, ctx: AdminContext): Promise<void> {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !constantTimeEqual(match[1]!.trim(), ctx.adminToken)) {
      throw unauthorized('authorization: a valid admin token is required (Authorization: Bearer <S2S_ADMIN_TOKEN>)');
    }
  });
  // Unknown /admin paths pass the token check too: without it they answer 401, not a 404 that
  // would tell which paths exist.
  app.setNotFoundHandler(app.answerNotFound);

  // Only the context, not the plugin options it arrived with (they carry the /admin prefix).
  const { store, auth, adminToken, publicUrl, onAppChanged, retryTtlMs, onRetry } = ctx;
  await app.register(postbackRoutes, { store, auth, adminToken, publicUrl, onAppChanged, retryTtlMs, onRetry, onPostbacksChanged: onAppChanged });
  await app.register(reportRoutes, { store });
  await app.register(costRoutes, { store });
  await app.register(skanRoutes, { store });
  await app.register(erasureRoutes, { store });
  await app.register(userRoutes, { store });

  // What the dashboard's forms offer: the lists the CLI takes, from the same constants.
  app.get(
    '/meta',
    { schema: { tags: ['admin'], security, description: 'Platforms, stores, campaign kinds, postback formats, webhook events and export types', response: { 200: Type.Object({}, { additionalProperties: true }), ...errors } } },
    async () => ({
      platforms: PLATFORMS,
      stores: STORES,
      campaign_kinds: CAMPAIGN_KINDS,
      postback_formats: POSTBACK_FORMATS,
      webhook_events: WEBHOOK_EVENTS,
      export_types: EXPORT_TYPES,
      export_formats: EXPORT_FORMATS,
    }),
  );

  app.get(
    '/apps',
    { schema: { tags: ['admin'], security, response: { 200: Type.Object({ apps: Type.Array(AppOutput) }), ...errors } } },
    async () => ({ apps: await ctx.store.listApps() }),
  );

  app.post(
    '/apps',
    { schema: { tags: ['admin'], security, body: AppInput, response: { 201: AppOutput, ...errors } } },
    async (request, reply) => reply.code(201).send(await ops.createApp(ctx.store, request.body)),
  );

  app.get(
    '/apps/:app_id',
    {
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ app_id: IdString }),
        response: { 200: AppOutput, ...errors },
      },
    },
    async (request) => {
      const { app_id } = request.params as { app_id: string };
      const found = await ctx.store.getApp(app_id);
      if (!found) throw notFound(`app_id: unknown app ${app_id}`);
      return found;
    },
  );

  app.patch(
    '/apps/:app_id/settings',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'Sets attribution windows and fraud rules; fields not sent keep their value, null resets to the default',
        params: Type.Object({ app_id: IdString }),
        body: AppSettingsInput,
        response: { 200: AppOutput, ...errors },
      },
    },
    async (request) => {
      const updated = await ops.configureApp(ctx.store, (request.params as { app_id: string }).app_id, request.body);
      ctx.onAppChanged();
      return updated;
    },
  );

  app.get(
    '/apps/:app_id/aliases',
    {
      schema: {
        tags: ['admin'],
        security,
        description: "The app's names in other trackers' protocols (its Adjust app token) and their event tokens",
        params: Type.Object({ app_id: IdString }),
        response: { 200: AliasesOutput, ...errors },
      },
    },
    async (request) => {
      const { app_id } = request.params as { app_id: string };
      if (!(await ctx.store.getApp(app_id))) throw notFound(`app_id: unknown app ${app_id}`);
      return ctx.store.listAliases(app_id);
    },
  );

  app.patch(
    '/apps/:app_id/aliases',
    {
      schema: {
        tags: ['admin'],
        security,
        description: "Sets the app's name in a protocol (`app`, e.g. its Adjust app token) and event tokens → event ids; null removes one, fields not sent keep their value",
        params: Type.Object({ app_id: IdString }),
        body: AliasesInput,
        response: { 200: AliasesOutput, ...errors, 409: ErrorOutput },
      },
    },
    async (request) => {
      const updated = await ops.configureAliases(ctx.store, (request.params as { app_id: string }).app_id, request.body);
      ctx.onAppChanged();
      return updated;
    },
  );

  app.get(
    '/apps/:app_id/known-devices',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'Every device id the app has seen, for negative targeting',
        params: Type.Object({ app_id: IdString }),
        response: { 200: Type.Object({ devices: Type.Array(Type.Record(Type.String(), Type.String())) }), ...errors },
      },
    },
    async (request) => {
      const { app_id } = request.params as { app_id: string };
      if (!(await ctx.store.getApp(app_id))) throw notFound(`app_id: unknown app ${app_id}`);
      const devices = await ctx.store.listKnownDevices(app_id);
      return { devices: devices.map((d) => ({ [d.kind]: d.value })) };
    },
  );

  app.put(
    '/rates/:currency',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'Sets how many USD one unit of a currency is worth, for revenue arriving from now on',
        params: Type.Object({ currency: Type.String({ pattern: '^[A-Za-z]{3}$' }) }),
        body: Type.Object({ usd_per_unit: Type.Number({ exclusiveMinimum: 0, maximum: 1e6 }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ currency: Type.String(), usd_per_unit: Type.Number() }), ...errors },
      },
    },
    async (request) => {
      const saved = await ops.setRate(ctx.store, (request.params as { currency: string }).currency, (request.body as { usd_per_unit: number }).usd_per_unit);
      ctx.onAppChanged();
      return saved;
    },
  );

  app.get(
    '/tokens',
    { schema: { tags: ['admin'], security, response: { 200: Type.Object({ tokens: Type.Array(TokenOutput) }), ...errors } } },
    async () => ({ tokens: await ctx.store.listTokens() }),
  );

  app.post(
    '/tokens',
    { schema: { tags: ['admin'], security, body: TokenInput, response: { 201: IssuedTokenOutput, ...errors } } },
    async (request, reply) => reply.code(201).send(await ops.createToken(ctx.store, request.body)),
  );

  app.post(
    '/tokens/revoke',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'Revokes a token, named by the token itself or its token_id (kept out of URLs and logs)',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
        response: { 200: TokenOutput, ...errors },
      },
    },
    async (request) => {
      const info = await ops.revokeToken(ctx.store, (request.body as { token: string }).token);
      ctx.auth.invalidate();
      return info;
    },
  );

  app.get(
    '/campaigns',
    {
      schema: {
        tags: ['admin'],
        security,
        querystring: Type.Object({ app_id: Type.Optional(IdString) }),
        response: { 200: Type.Object({ campaigns: Type.Array(CampaignOutput) }), ...errors },
      },
    },
    async (request) => {
      const { app_id } = request.query as { app_id?: string };
      return { campaigns: await ops.listCampaigns(ctx.store, ctx.publicUrl, app_id) };
    },
  );

  app.post(
    '/campaigns',
    { schema: { tags: ['admin'], security, body: CampaignInput, response: { 201: CampaignOutput, ...errors } } },
    async (request, reply) => reply.code(201).send(await ops.createCampaign(ctx.store, ctx.publicUrl, request.body)),
  );
}

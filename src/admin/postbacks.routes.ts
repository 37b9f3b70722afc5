import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import * as ops from './postback-operations.js';
import * as webhooks from './webhook-operations.js';
import { ErrorOutput, IdString } from './schemas.js';
import type { AdminContext } from './context.js';

const security = [{ adminToken: [] }];
const errors = { 200: Type.Unknown(), 201: Type.Unknown(), 400: ErrorOutput, 401: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput };

/** Postback and webhook configuration and the delivery log (the admin token hook is the parent's). */
export async function postbackRoutes(app: FastifyInstance, ctx: AdminContext & { retryTtlMs: number; onPostbacksChanged: () => void; onRetry: () => void }): Promise<void> {
  app.post('/postbacks', { schema: { tags: ['admin'], security, body: ops.PostbackInput, response: errors } }, async (request, reply) => {
    const created = await ops.addPostback(ctx.store, request.body);
    ctx.onPostbacksChanged();
    return reply.code(201).send(created);
  });

  app.get(
    '/postbacks',
    { schema: { tags: ['admin'], security, querystring: Type.Object({ app_id: Type.Optional(IdString) }), response: errors } },
    async (request) => ({ postbacks: await ops.listPostbacks(ctx.store, (request.query as { app_id?: string }).app_id) }),
  );

  app.delete(
    '/postbacks/:postback_id',
    { schema: { tags: ['admin'], security, params: Type.Object({ postback_id: IdString }), response: errors } },
    async (request) => {
      const removed = await ops.removePostback(ctx.store, (request.params as { postback_id: string }).postback_id);
      ctx.onPostbacksChanged();
      return removed;
    },
  );

  app.post(
    '/webhooks',
    { schema: { tags: ['admin'], security, description: 'Every record of the app, signed, to the studio\'s URL (docs/webhooks.md); the secret is shown once', body: webhooks.WebhookInput, response: errors } },
    async (request, reply) => {
      const created = await webhooks.addWebhook(ctx.store, request.body);
      ctx.onPostbacksChanged();
      return reply.code(201).send(created);
    },
  );

  app.get(
    '/webhooks',
    { schema: { tags: ['admin'], security, querystring: Type.Object({ app_id: Type.Optional(IdString) }), response: errors } },
    async (request) => ({ webhooks: await webhooks.listWebhooks(ctx.store, (request.query as { app_id?: string }).app_id) }),
  );

  app.delete(
    '/webhooks/:webhook_id',
    { schema: { tags: ['admin'], security, params: Type.Object({ webhook_id: IdString }), response: errors } },
    async (request) => {
      const removed = await webhooks.removeWebhook(ctx.store, (request.params as { webhook_id: string }).webhook_id);
      ctx.onPostbacksChanged();
      return removed;
    },
  );

  app.get(
    '/webhooks/:webhook_id/deliveries',
    {
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ webhook_id: IdString }),
        querystring: Type.Object({ status: Type.Optional(ops.DeliveryStatus), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }),
        response: errors,
      },
    },
    async (request) => {
      const q = request.query as { status?: string; limit?: number };
      return { deliveries: await webhooks.webhookLog(ctx.store, (request.params as { webhook_id: string }).webhook_id, q) };
    },
  );

  app.get(
    '/deliveries',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'The delivery log of postbacks and webhooks (postback_id: one of them), newest first',
        querystring: Type.Object({
          app_id: Type.Optional(IdString),
          postback_id: Type.Optional(IdString),
          status: Type.Optional(ops.DeliveryStatus),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
        }),
        response: errors,
      },
    },
    async (request) => {
      const q = request.query as { app_id?: string; postback_id?: string; status?: string; limit?: number };
      return { deliveries: await ops.deliveryLog(ctx.store, { appId: q.app_id, postbackId: q.postback_id, status: q.status, limit: q.limit }) };
    },
  );

  app.get(
    '/deliveries/:delivery_id',
    { schema: { tags: ['admin'], security, params: Type.Object({ delivery_id: IdString }), response: errors } },
    async (request) => ops.deliveryWithAttempts(ctx.store, (request.params as { delivery_id: string }).delivery_id),
  );

  app.post(
    '/deliveries/:delivery_id/retry',
    { schema: { tags: ['admin'], security, params: Type.Object({ delivery_id: IdString }), response: errors } },
    async (request) => {
      const retried = await ops.retryDelivery(ctx.store, (request.params as { delivery_id: string }).delivery_id, ctx.retryTtlMs);
      ctx.onRetry();
      return retried;
    },
  );
}

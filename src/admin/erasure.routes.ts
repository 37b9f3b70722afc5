import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { CatalogStore, ErasureStore } from '../storage/store.js';
import { ForgetInput, forgetUsers, listErasures } from './erasure.js';
import { ADMIN_ERRORS, ADMIN_SECURITY } from './schemas.js';

const ErasureOutput = Type.Object({
  erasure_id: Type.String({ description: 'the receipt' }),
  app_id: Type.String(),
  requested_at: Type.String(),
  source: Type.String({ description: 'cli | admin | adjust' }),
  users: Type.Integer({ description: 'users found by the ids named' }),
  rows: Type.Record(Type.String(), Type.Integer(), { description: 'rows deleted (or stripped: installs_stripped) per table' }),
});

/** Erasure: the same operations as `s2s forget` and `s2s erasures`. */
export async function erasureRoutes(plain: FastifyInstance, ctx: { store: CatalogStore & ErasureStore }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/forget',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "Forgets a user of an app: every identity, touchpoint, event and outbox entry holding its ids is deleted, its installs kept for reports without IP or user agent, in one transaction. Answers the receipt.",
        body: ForgetInput,
        response: { 200: ErasureOutput, ...ADMIN_ERRORS },
      },
    },
    async (request) => forgetUsers(ctx.store, request.body, 'admin'),
  );
  app.get(
    '/erasures',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "The app's erasures, newest first: when, who asked, how many users and rows. Never the ids.",
        querystring: Type.Object({ app_id: Type.String() }),
        response: { 200: Type.Object({ erasures: Type.Array(ErasureOutput) }), ...ADMIN_ERRORS },
      },
    },
    async (request) => ({ erasures: await listErasures(ctx.store, request.query.app_id) }),
  );
}

import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { explainUser } from '../reports/explain.js';
import type { CatalogStore, IngestStore, ReportStore } from '../storage/store.js';
import { ADMIN_ERRORS, ADMIN_SECURITY } from './schemas.js';

/** One user explained: the same operation as `s2s explain` (reports/explain.ts). */
export async function userRoutes(plain: FastifyInstance, ctx: { store: CatalogStore & ReportStore & Pick<IngestStore, 'transaction'> }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/users/:id',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "Why a user was credited as it was. `id` is one of its device ids or its user id. Answers its identities, each install with every candidate touch and why it won or lost, and its events and deliveries.",
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 256 }) }),
        querystring: Type.Object({ app_id: Type.String() }),
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'app_id, user, identities, installs (each with its candidates), timeline, deliveries' }), ...ADMIN_ERRORS },
      },
    },
    async (request) => explainUser(ctx.store, request.query.app_id, { id: request.params.id }),
  );
}

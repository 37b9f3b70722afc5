import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listSkan, MAX_SKAN_LIST } from '../reports/skan.js';
import type { CatalogStore, SkanStore } from '../storage/store.js';
import { ADMIN_ERRORS, ADMIN_SECURITY, Nullable } from './schemas.js';

const SkanOutput = Type.Object({
  postback_pk: Type.String(),
  app_id: Type.String(),
  kind: Type.String({ description: 'skadnetwork | adattributionkit' }),
  source: Type.String({ description: "apple (the developer's copy) | network (forwarded with a token)" }),
  received_at: Type.String(),
  version: Nullable(Type.String()),
  ad_network_id: Type.String(),
  transaction_id: Type.String({ description: 'transaction-id / postback-identifier' }),
  sequence_index: Type.Integer(),
  app_store_id: Type.String(),
  source_identifier: Nullable(Type.String({ description: 'campaign-id before SKAdNetwork 4.0, else source-identifier' })),
  source_app_id: Nullable(Type.String()),
  source_domain: Nullable(Type.String()),
  fidelity_type: Nullable(Type.Integer()),
  redownload: Nullable(Type.Boolean()),
  did_win: Nullable(Type.Boolean()),
  conversion_type: Nullable(Type.String()),
  conversion_value: Nullable(Type.Integer({ description: 'not signed by Apple' })),
  coarse_conversion_value: Nullable(Type.String({ description: 'not signed by Apple' })),
  country_code: Nullable(Type.String({ description: 'not signed by Apple' })),
  verification: Type.String({ description: 'verified | invalid | unverifiable: only verified postbacks count' }),
});

/** Apple's postbacks of an app: the same operation as `s2s skan list`. */
export async function skanRoutes(plain: FastifyInstance, ctx: { store: CatalogStore & SkanStore }): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/skan',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "The app's SKAdNetwork and AdAttributionKit postbacks, newest first, each with what its signature came to.",
        querystring: Type.Object({ app_id: Type.String(), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SKAN_LIST, default: 100 })) }),
        response: { 200: Type.Object({ postbacks: Type.Array(SkanOutput) }), ...ADMIN_ERRORS },
      },
    },
    async (request) => ({ postbacks: await listSkan(ctx.store, request.query.app_id, request.query.limit) }),
  );
}

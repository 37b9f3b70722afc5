import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversionSchemaInput, listSkan, mapSkanSource, MAX_SKAN_LIST, setSkanSchema, skanMappings, SkanMappingInput, skanReportFor, skanSchema } from '../reports/skan.js';
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

const MappingOutput = Type.Object({ ad_network_id: Type.String(), source_identifier: Type.String(), campaign_id: Type.String() });
const MeaningOutput = Type.Object({ event: Nullable(Type.String()), revenue_min_usd: Nullable(Type.Number()), revenue_max_usd: Nullable(Type.Number()) });
const SchemaOutput = Type.Object({ fine: Type.Record(Type.String(), MeaningOutput), coarse: Type.Record(Type.String(), MeaningOutput) });
const Counts = Type.Record(Type.String(), Type.Integer());
const SkanReportOutput = Type.Object({
  app_id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  rows: Type.Array(
    Type.Object({
      campaign_id: Nullable(Type.String()),
      campaign_name: Nullable(Type.String()),
      ad_network_id: Nullable(Type.String({ description: 'for postbacks no mapping credits to a campaign' })),
      source_identifier: Nullable(Type.String()),
      sequence_index: Type.Integer({ description: 'the postback window: 0, 1 or 2' }),
      did_win: Nullable(Type.Boolean()),
      fidelity_type: Nullable(Type.Integer()),
      conversion_type: Nullable(Type.String({ description: "AdAttributionKit's download, redownload or re-engagement; null for SKAdNetwork" })),
      postbacks: Type.Integer(),
      conversion_values: Counts,
      events: Counts,
      estimated_revenue_usd: Type.Number(),
    }),
  ),
  totals: Type.Object({ postbacks: Type.Integer(), estimated_revenue_usd: Type.Number() }),
});
const AppQuery = Type.Object({ app_id: Type.String() });

/** Apple's postbacks of an app: the same operations as `s2s skan list|map|maps|schema|report`. */
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

  app.put(
    '/skan/map',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "Credits an ad network's campaign-id / source-identifier to a campaign of the app (campaign_id null removes it); answers the app's whole map.",
        body: Type.Object({ app_id: Type.String(), ...SkanMappingInput.properties }, { additionalProperties: false }),
        response: { 200: Type.Object({ mappings: Type.Array(MappingOutput) }), ...ADMIN_ERRORS },
      },
    },
    async (request) => {
      const { app_id, ...mapping } = request.body;
      return { mappings: await mapSkanSource(ctx.store, app_id, mapping) };
    },
  );
  app.get(
    '/skan/map',
    { schema: { tags: ['admin'], security: ADMIN_SECURITY, querystring: AppQuery, response: { 200: Type.Object({ mappings: Type.Array(MappingOutput) }), ...ADMIN_ERRORS } } },
    async (request) => ({ mappings: await skanMappings(ctx.store, request.query.app_id) }),
  );
  app.put(
    '/skan/schema',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: "Replaces the app's conversion-value schema: fine values (0-63) and coarse ones (low, medium, high), each an event and/or a revenue range in USD.",
        querystring: AppQuery,
        body: ConversionSchemaInput,
        response: { 200: SchemaOutput, ...ADMIN_ERRORS },
      },
    },
    async (request) => setSkanSchema(ctx.store, request.query.app_id, request.body),
  );
  app.get(
    '/skan/schema',
    { schema: { tags: ['admin'], security: ADMIN_SECURITY, querystring: AppQuery, response: { 200: SchemaOutput, ...ADMIN_ERRORS } } },
    async (request) => skanSchema(ctx.store, request.query.app_id),
  );
  app.get(
    '/reports/skan',
    {
      schema: {
        tags: ['admin'],
        security: ADMIN_SECURITY,
        description: 'Verified SKAdNetwork and AdAttributionKit postbacks received on the days of [from, to]: by campaign, window, winning or not and fidelity, with their conversion values and the revenue the schema estimates.',
        querystring: Type.Object({ app_id: Type.String(), from: Type.String(), to: Type.String() }),
        response: { 200: SkanReportOutput, ...ADMIN_ERRORS },
      },
    },
    async (request) => skanReportFor(ctx.store, request.query),
  );
}

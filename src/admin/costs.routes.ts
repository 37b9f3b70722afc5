import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { listCosts, MAX_COST_LINES, replaceCosts } from '../reports/costs.js';
import type { CatalogStore, CostStore } from '../storage/store.js';
import { ADMIN_ERRORS, ADMIN_SECURITY, Nullable } from './schemas.js';

const security = ADMIN_SECURITY;
const errors = ADMIN_ERRORS;

/** A cost line as given; read and checked by domain/costs.ts (messages name the field). */
const CostLine = Type.Object(
  {
    day: Type.String({ description: 'YYYY-MM-DD (UTC)' }),
    campaign_id: Type.Optional(Type.String({ description: 'the campaign; or network and campaign_name' })),
    network: Type.Optional(Type.String()),
    campaign_name: Type.Optional(Type.String()),
    spend: Type.Union([Type.Number({ minimum: 0 }), Type.String()], { description: 'what the campaign spent that day' }),
    currency: Type.Optional(Type.String({ description: '3-letter code; USD by default' })),
    impressions: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
    clicks: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
  },
  { additionalProperties: false },
);

const CostOutput = Type.Object({
  day: Type.String(),
  campaign_id: Type.String(),
  spend: Type.Number(),
  currency: Type.String(),
  spend_usd: Type.Number(),
  impressions: Nullable(Type.Number()),
  clicks: Nullable(Type.Number()),
  updated_at: Type.String(),
});

/** Campaign costs by day: the same operations as `s2s costs import` and `s2s costs list`. */
export async function costRoutes(plain: FastifyInstance, ctx: { store: CatalogStore & CostStore }): Promise<void> {
  const { store } = ctx;
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  app.put(
    '/costs',
    {
      schema: {
        tags: ['admin'],
        security,
        description: "Replaces the app's costs of every day the lines name (a day sent again is replaced whole). Reports use a (day, campaign)'s cost instead of CPI × installs.",
        body: Type.Object({ app_id: Type.String(), costs: Type.Array(CostLine, { maxItems: MAX_COST_LINES }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ app_id: Type.String(), days: Type.Array(Type.String()), rows: Type.Integer() }), ...errors },
      },
    },
    async (request) => replaceCosts(store, request.body.app_id, request.body.costs),
  );

  app.get(
    '/costs',
    {
      schema: {
        tags: ['admin'],
        security,
        description: "The app's recorded costs of [from, to].",
        querystring: Type.Object({ app_id: Type.String(), from: Type.String(), to: Type.String() }),
        response: { 200: Type.Object({ costs: Type.Array(CostOutput) }), ...errors },
      },
    },
    async (request) => ({ costs: await listCosts(store, request.query.app_id, request.query.from, request.query.to) }),
  );
}

import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ReportMetrics } from '../domain/metrics.js';
import { METRIC_COLUMNS, buildCohorts, buildRejections, buildReport } from '../reports/report.js';
import { EXPORT_FORMATS, EXPORT_TYPES, exportChunks, exportContentType, readExportRequest } from '../reports/export.js';
import { createSegment, listSegments, segmentAudience } from '../reports/segments.js';
import type { CatalogStore, CostStore, ExportStore, ReportStore } from '../storage/store.js';
import { ADMIN_ERRORS, ADMIN_SECURITY, Nullable } from './schemas.js';

const security = ADMIN_SECURITY;
const errors = ADMIN_ERRORS;

const RangeQuery = {
  app_id: Type.String({ description: 'the app' }),
  from: Type.String({ description: 'first install day, YYYY-MM-DD (UTC)' }),
  to: Type.String({ description: 'last install day, YYYY-MM-DD (UTC), included' }),
};
const SpendSourceOutput = Nullable(Type.Union([Type.Literal('cost'), Type.Literal('cpi'), Type.Literal('mixed')], { description: 'recorded costs, CPI × installs, or both' }));
const Metrics = {
  ...(Object.fromEntries(METRIC_COLUMNS.filter((name) => name !== 'spend_source').map((name) => [name, Nullable(Type.Number())])) as unknown as Record<
    Exclude<keyof ReportMetrics, 'spend_source'>,
    ReturnType<typeof Nullable<ReturnType<typeof Type.Number>>>
  >),
  spend_source: SpendSourceOutput,
};
const ReportRowOutput = Type.Object({
  day: Type.Optional(Type.String()),
  campaign_id: Type.Optional(Nullable(Type.String())),
  campaign_name: Type.Optional(Nullable(Type.String())),
  network: Type.Optional(Nullable(Type.String())),
  ...Metrics,
});
const ReportOutput = Type.Object({
  app_id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  group_by: Type.String(),
  rows: Type.Array(ReportRowOutput),
  totals: Type.Object(Metrics),
});
const CohortsOutput = Type.Object({
  app_id: Type.String(),
  from: Type.String(),
  to: Type.String(),
  cohorts: Type.Array(
    Type.Object({ day: Type.String(), users: Type.Number(), retained: Type.Array(Type.Number()), retention: Type.Array(Nullable(Type.Number())) }),
  ),
});
const SegmentOutput = Type.Object({ segment_id: Type.String(), app_id: Type.String(), name: Type.String(), rules: Type.Array(Type.String()), created_at: Type.String() });
const DeviceOutput = Type.Record(Type.String(), Type.String());

/** Reports, cohorts and segments: the same operations as `s2s report` and `s2s segments`. */
export async function reportRoutes(plain: FastifyInstance, ctx: { store: CatalogStore & ReportStore & CostStore & ExportStore }): Promise<void> {
  const { store } = ctx;
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();

  // The untyped instance: its reply is a stream, which the typed one's response schema would refuse.
  plain.get(
    '/export',
    {
      schema: {
        tags: ['admin'],
        security,
        description: "Streams an app's rows of one kind in a range of UTC days as NDJSON or CSV, a page at a time (docs/exports.md)",
        querystring: Type.Object({
          app_id: Type.String({ description: 'the app' }),
          type: Type.Unsafe<string>({ type: 'string', enum: [...EXPORT_TYPES] }),
          from: Type.String({ description: 'first day, YYYY-MM-DD (UTC)' }),
          to: Type.String({ description: 'last day, YYYY-MM-DD (UTC), included' }),
          format: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: [...EXPORT_FORMATS] })),
        }),
        // 200: NDJSON (application/x-ndjson) or CSV (text/csv), one row a line, streamed.
        response: errors,
      },
    },
    async (request, reply) => {
      const q = request.query as { app_id: string; type: string; from: string; to: string; format?: string };
      const exported = await readExportRequest(store, { app_id: q.app_id, type: q.type, format: q.format, from: q.from, to: q.to });
      const name = `${exported.type}-${q.from}-${q.to}.${exported.format}`;
      return reply
        .type(exportContentType(exported.format))
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(Readable.from(exportChunks(store, exported)));
    },
  );

  app.get(
    '/reports',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'The cohort of installs in [from, to], grouped by day, campaign or network (metric definitions in docs/reports.md).',
        querystring: Type.Object({ ...RangeQuery, group_by: Type.Optional(Type.String({ description: 'day (default), campaign or network' })) }),
        response: { 200: ReportOutput, ...errors },
      },
    },
    async (request) => buildReport(store, request.query),
  );

  app.get(
    '/reports/cohorts',
    { schema: { tags: ['admin'], security, description: 'Retention matrix: install day x day N (0..30).', querystring: Type.Object(RangeQuery), response: { 200: CohortsOutput, ...errors } } },
    async (request) => buildCohorts(store, request.query),
  );

  app.get(
    '/reports/rejections',
    {
      schema: {
        tags: ['admin'],
        security,
        description: 'Installs of the range refused by a fraud rule or their network, by reason and campaign, most first.',
        querystring: Type.Object(RangeQuery),
        response: {
          200: Type.Object({
            from: Type.String(),
            to: Type.String(),
            rows: Type.Array(Type.Object({ reason: Type.String(), campaign_id: Nullable(Type.String()), campaign_name: Nullable(Type.String()), network: Nullable(Type.String()), installs: Type.Integer() })),
          }),
          ...errors,
        },
      },
    },
    async (request) => buildRejections(store, request.query),
  );

  app.post(
    '/segments',
    {
      schema: {
        tags: ['admin'],
        security,
        body: Type.Object({ app_id: Type.String(), name: Type.String(), rules: Type.Array(Type.String(), { minItems: 1, maxItems: 50 }) }),
        response: { 201: SegmentOutput, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await createSegment(store, request.body)),
  );

  app.get(
    '/segments',
    { schema: { tags: ['admin'], security, querystring: Type.Object({ app_id: Type.String() }), response: { 200: Type.Object({ segments: Type.Array(SegmentOutput) }), ...errors } } },
    async (request) => ({ segments: await listSegments(store, request.query.app_id) }),
  );

  app.get(
    '/segments/:segment_id/audience',
    {
      schema: {
        tags: ['admin'],
        security,
        params: Type.Object({ segment_id: Type.String() }),
        querystring: Type.Object({ app_id: Type.String() }),
        response: { 200: Type.Object({ devices: Type.Array(DeviceOutput) }), ...errors },
      },
    },
    async (request) => {
      const identities = await segmentAudience(store, request.query.app_id, request.params.segment_id);
      return { devices: identities.map((d) => ({ [d.kind]: d.value })) };
    },
  );
}

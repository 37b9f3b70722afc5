import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Metrics } from '../http/metrics.js';
import type { WriteOutage } from '../ingest/write-queue.js';
import { databaseErrorCode } from '../storage/db.js';
import type { MaintenanceStore } from '../storage/store.js';

export interface HealthContext {
  store: Pick<MaintenanceStore, 'ping'>;
  metrics: Metrics;
  /** The group-commit queue: whether its writes are failing with an outage. */
  writes?: { readonly outage: WriteOutage | undefined };
  /** The clock (tests). */
  now?: () => number;
}

/**
 * How long a write outage keeps /readyz failing without a further write attempt. While writes
 * keep failing the outage is renewed; once none is tried (a balancer took this server out of
 * rotation), readiness falls back to the ping, so traffic returns and tries again.
 */
export const WRITE_OUTAGE_READY_MS = 15_000;

const Health = Type.Object({ status: Type.Integer(), message: Type.String() });

/** Liveness, readiness and Prometheus metrics for orchestrators and scrapers. */
export async function healthRoutes(app: FastifyInstance, ctx: HealthContext): Promise<void> {
  // The pid tells which worker answered (s2s serve --workers N).
  const Live = Type.Object({ status: Type.Integer(), message: Type.String(), pid: Type.Integer() });
  app.get('/healthz', { schema: { tags: ['ops'], response: { 200: Live } } }, async () => ({
    status: 200,
    message: 'ok',
    pid: process.pid,
  }));

  app.get('/readyz', { schema: { tags: ['ops'], response: { 200: Health, 503: Health } } }, async (request, reply) => {
    // A SELECT still answers on a full disk or a read-only database: the last commit says more.
    const outage = ctx.writes?.outage;
    if (outage && (ctx.now ?? Date.now)() - outage.at < WRITE_OUTAGE_READY_MS) {
      const code = databaseErrorCode(outage.error) ?? (outage.error instanceof Error ? outage.error.message : 'unknown');
      return reply.code(503).send({ status: 503, message: `database: writes are failing (${code})` });
    }
    try {
      await ctx.store.ping();
      return { status: 200, message: 'ready' };
    } catch (error) {
      request.log.warn({ err: error }, 'database not reachable');
      return reply.code(503).send({ status: 503, message: 'database not reachable' });
    }
  });

  app.get('/metrics', { schema: { tags: ['ops'], hide: true } }, async (_request, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
}

import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Metrics } from '../http/metrics.js';
import type { Store } from '../storage/store.js';

export interface HealthContext {
  store: Store;
  metrics: Metrics;
}

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

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The server's Prometheus metrics, one registry per server so tests can build many. */
export class Metrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 's2s_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 's2s_http_request_duration_seconds',
    help: 'Time from request to response, by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly commits = new Histogram({
    name: 's2s_write_batch_size',
    help: 'Records per group commit',
    labelNames: ['outcome'] as const,
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
    registers: [this.registry],
  });

  readonly commitSeconds = new Histogram({
    name: 's2s_write_commit_duration_seconds',
    help: 'Time one group commit takes',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly postbacks = new Counter({
    name: 's2s_postback_attempts_total',
    help: 'Postback delivery attempts by outcome (delivered, retry, failed, dead)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 's2s_' });
  }

  /** Reports a queue's depth at every scrape. */
  watchQueueDepth(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  /** Reports the outbox by status at every scrape (one grouped count query). */
  watchDeliveries(count: () => Promise<Record<string, number>>): void {
    new Gauge({
      name: 's2s_postback_deliveries',
      help: 'Postback deliveries in the outbox by status',
      labelNames: ['status'] as const,
      registers: [this.registry],
      async collect() {
        try {
          for (const [status, n] of Object.entries(await count())) this.set({ status }, n);
        } catch {
          // database unreachable: keep the last values; /readyz reports the outage
        }
      },
    });
  }

  recordCommit(size: number, durationMs: number, ok: boolean): void {
    this.commits.observe({ outcome: ok ? 'committed' : 'failed' }, size);
    this.commitSeconds.observe(durationMs / 1000);
  }

  /** Counts every response by its route pattern (never the raw URL, which holds ids and tokens). */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const method = request.method;
      this.requests.inc({ method, route, status: String(reply.statusCode) });
      this.latency.observe({ method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
}

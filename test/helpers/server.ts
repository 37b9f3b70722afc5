import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type Services } from '../../src/app.js';
import type { Clock } from '../../src/domain/clock.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase, type TestBackend, type TestDatabase } from './backends.js';

export interface TestServer {
  url: string;
  app: FastifyInstance;
  services: Services;
  db: TestDatabase;
  /** Every log line the server printed, as text. */
  logs: string[];
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Builds the real app on a fresh database and listens on a random loopback port. */
export async function startTestServer(backend: TestBackend, extraEnv: Record<string, string> = {}, options: { clock?: Clock } = {}): Promise<TestServer> {
  const db = await openTestDatabase(backend, { S2S_ADMIN_TOKEN: ADMIN_TOKEN, ...extraEnv });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger(extraEnv.LOG_LEVEL ?? 'debug', sink);
  const { app, services } = await buildApp(db.config, { store: db.store, logger, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    app,
    services,
    db,
    logs,
    close: async () => {
      await app.close();
      await db.dispose();
    },
  };
}

/** JSON request helper: returns status, headers and the parsed body. */
export async function call(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string>; admin?: boolean } = {},
): Promise<{ status: number; headers: Headers; body: any }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.admin) headers.authorization = `Bearer ${ADMIN_TOKEN}`;
  let body: string | undefined = init.rawBody;
  if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** web/ sits beside dist/ and src/, two levels above this file in either. */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web');

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

// The page holds no data (it asks /admin with the token typed at sign-in) and runs only its
// own script: no inline code, no third-party origin, no framing.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/** The dashboard: a static bundle (web/), read once at start-up, served at / and /dashboard/*. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  const bodies = new Map(Object.keys(FILES).map((name) => [name, fs.readFileSync(path.join(WEB_DIR, name))]));
  const send = (name: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.headers({ ...SECURITY_HEADERS, 'content-type': FILES[name]! }).send(bodies.get(name));

  app.get('/', { schema: { hide: true } }, send('index.html'));
  for (const name of ['app.js', 'style.css']) app.get(`/dashboard/${name}`, { schema: { hide: true } }, send(name));
}

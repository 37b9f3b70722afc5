import type { FastifyInstance } from 'fastify';
import { badRequest } from '../errors.js';

/** The first key path whose string value holds a NUL character, if any. */
function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 8 || typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000')) return path ? `${path}.${key}` : key;
    const hit = findNul(inner, Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key, depth + 1);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

/**
 * Refuses a NUL character anywhere in the query or body. PostgreSQL cannot store one in text
 * (and no identifier, name or device id legitimately holds one), so it is a 400 naming the
 * field, not a database error.
 */
export function registerNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const inQuery = findNul(request.query, '');
    const field = inQuery ?? findNul(request.body, '');
    if (field === undefined) {
      done();
      return;
    }
    // A field name is echoed only when it is a plain name (never the hostile bytes themselves).
    const name = /^[\w.\-[\]]{1,100}$/.test(field) ? field : inQuery !== undefined ? 'query' : 'body';
    done(badRequest(`${name}: contains a NUL character`));
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, badRequest } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request body exactly as received: signatures are checked over these bytes. */
    rawBody?: Buffer;
  }
}

/** Strict UTF-8 (a bad byte is an error, not U+FFFD); one instance serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON and form bodies, each kept raw beside the parsed value. The seeds sign the raw body
 * (Chartboost v1 and v3), and TRACKS' own example posts a form, so both are first-class.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      request.rawBody = body;
      if (body.length === 0) {
        done(null, undefined);
        return;
      }
      let text: string;
      try {
        text = UTF8.decode(body);
      } catch {
        done(badRequest('body: not valid UTF-8'));
        return;
      }
      parseJson(request, text, (error, value) => {
        if (error) {
          done(badRequest('body: malformed JSON'));
          return;
        }
        const deep = fieldNestedTooDeep(value);
        if (deep !== undefined) done(badRequest(`${deep}: nested deeper than ${MAX_DEPTH} levels`));
        else done(null, value);
      });
    },
  );

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      request.rawBody = body;
      try {
        done(null, parseForm(UTF8.decode(body), 'body'));
      } catch (error) {
        done(error instanceof AppError ? error : badRequest('body: not valid UTF-8'));
      }
    },
  );
}

/**
 * Free-form JSON values (Swaarm's `event_value`) are re-serialised and walked, which recurses:
 * a bound keeps a 10 000-deep value from overflowing the stack. No seed nests beyond 3.
 */
const MAX_DEPTH = 32;

/** The top-level field (or `body`) whose value nests deeper than MAX_DEPTH; iterative, so any depth is safe. */
function fieldNestedTooDeep(value: unknown): string | undefined {
  const stack: [unknown, number, string | undefined][] = [[value, 1, undefined]];
  while (stack.length > 0) {
    const [node, depth, field] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DEPTH) return field !== undefined && /^[\w.-]{1,64}$/.test(field) ? field : 'body';
    if (Array.isArray(node)) for (const item of node) stack.push([item, depth + 1, field]);
    else for (const [key, item] of Object.entries(node)) stack.push([item, depth + 1, field ?? key]);
  }
  return undefined;
}

/**
 * Form fields (or a query string) as an object; a key sent twice becomes an array. Escapes are
 * decoded as strict UTF-8: `%FF` is a 400 naming the field, not a U+FFFD stored in its place.
 * A `%` not followed by two hex digits stays as it is, as URLSearchParams keeps it.
 */
export function parseForm(text: string, where: 'body' | 'query'): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq), where);
    const value = decodeComponent(eq < 0 ? '' : pair.slice(eq + 1), /^[\w.\-[\]]{1,64}$/.test(key) ? key : where);
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

function decodeComponent(text: string, field: string): string {
  const spaced = text.includes('+') ? text.replace(/\+/g, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  return spaced.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      throw badRequest(`${field}: not valid UTF-8`);
    }
  });
}

const INVALID_QUERY = Symbol('invalid query');

/**
 * Fastify's query string parser (routerOptions.querystringParser). It may not throw (it runs
 * inside routing), so a bad escape is kept on the result and refused by an onRequest hook (app.ts).
 */
export function parseQueryString(text: string): Record<string, string | string[]> {
  if (text.length === 0) return Object.create(null) as Record<string, string>;
  try {
    return parseForm(text, 'query');
  } catch (error) {
    const out: Record<string | symbol, unknown> = Object.create(null);
    out[INVALID_QUERY] = error;
    return out as Record<string, string>;
  }
}

/** The 400 a query string with invalid UTF-8 gets (see parseQueryString), else undefined. */
export function invalidQuery(query: unknown): AppError | undefined {
  return typeof query === 'object' && query !== null ? ((query as Record<symbol, AppError | undefined>)[INVALID_QUERY]) : undefined;
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

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
        if (error) done(badRequest('body: malformed JSON'));
        else done(null, value);
      });
    },
  );

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
      request.rawBody = body;
      done(null, parseForm(body.toString('latin1')));
    },
  );
}

/** Form fields as an object; a key sent twice becomes an array, as in query strings. */
export function parseForm(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  }
  return out;
}

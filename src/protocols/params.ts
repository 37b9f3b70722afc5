import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { isPlainObject, optionalIp, optionalString, type Params } from '../ingest/normalise.js';

export * from '../ingest/normalise.js';

/**
 * Merges the query string and a JSON or form body (body wins), the way the seeds let GET and
 * POST carry the same parameters. Keys nobody reads are ignored, whatever they hold.
 */
export function readParams(request: FastifyRequest): Params {
  const out: Params = Object.create(null);
  const sources = [request.query, isPlainObject(request.body) ? request.body : undefined];
  for (const source of sources) {
    if (!isPlainObject(source)) continue;
    for (const [key, value] of Object.entries(source)) out[key] = value;
  }
  return out;
}

/** The device's IP: the given parameter, else the client address (X-Forwarded-For only from trusted proxies). */
export function clientIp(request: FastifyRequest, params: Params, key: string): string {
  return optionalIp(params, key) ?? stripMapped(request.ip);
}

function stripMapped(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** The device's user agent: the given parameter, else the User-Agent header. */
export function clientUserAgent(request: FastifyRequest, params: Params, key: string): string | undefined {
  return optionalString(params, key, { max: 1024 }) ?? (request.headers['user-agent']?.slice(0, 1024) || undefined);
}


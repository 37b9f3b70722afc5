import pino, { type DestinationStream, type Logger } from 'pino';
import { PROTOCOLS } from './protocols/index.js';

/**
 * Query parameters that carry credentials: each protocol's own (its `credentials`), and the
 * generic names a partner might use.
 */
const SECRET_QUERY_KEYS = new Set([...PROTOCOLS.flatMap((p) => p.credentials.params), 'token', 'secret', 'signature', 'api_key', 'key']);

const SECRET_HEADERS = [...new Set(['authorization', ...PROTOCOLS.flatMap((p) => p.credentials.headers)])];

/**
 * Headers and fields that must never reach a log line. Fastify's request serializer logs no
 * headers, but application code might log an object that carries one.
 */
export const REDACT_PATHS = [
  ...SECRET_HEADERS.flatMap((h) => [`req.headers[${JSON.stringify(h)}]`, `headers[${JSON.stringify(h)}]`]),
  'token',
  'secret',
  'signature',
  '*.token',
  '*.secret',
  '*.signature',
  '*.app_signature',
  '*.adminToken',
];

/** Replaces the value of every credential-bearing query parameter with `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      let name = key;
      try {
        name = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        // a malformed escape is kept as sent; it cannot be a key we know
      }
      return SECRET_QUERY_KEYS.has(name.toLowerCase()) ? `${key}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

interface RequestLike {
  method: string;
  url: string;
  id?: unknown;
  ip?: string;
  socket?: { remoteAddress?: string };
}

/** JSON logs with credentials removed; `destination` lets tests capture every line. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: RequestLike) => ({
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
      },
    },
    destination,
  );
}

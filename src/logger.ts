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

type LogFn = (...args: unknown[]) => void;
const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/**
 * A request's logger, made only when the request logs something. Fastify gives every request
 * a child logger bound to its id; pino builds one per call (bindings serialised, redaction set
 * up), a few percent of a small request, while ingest requests log nothing unless refused.
 * Anything but a plain level call makes the real child at once.
 */
export class LazyChildLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  /** The real child, made on first use. */
  get real(): Logger {
    this.made ??= this.parent.child(this.bindings);
    return this.made;
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }

  isLevelEnabled(level: string): boolean {
    return this.made ? this.made.isLevelEnabled(level) : this.parent.isLevelEnabled(level);
  }

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): Logger {
    return this.real.child(bindings, options);
  }

  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
}
for (const level of LEVELS) {
  LazyChildLogger.prototype[level] = function (this: LazyChildLogger, ...args: unknown[]): void {
    // A level the parent does not log is dropped without making the child.
    if (!this.isLevelEnabled(level)) return;
    (this.real[level] as LogFn)(...args);
  };
}

/** Fastify's `childLoggerFactory`: a lazy child, unless the route asks for options of its own. */
export function lazyChildLoggerFactory(logger: Logger, bindings: Record<string, unknown>, options: Record<string, unknown>): Logger {
  if (Object.keys(options).length > 0) return logger.child(bindings, options);
  return new LazyChildLogger(logger, bindings) as unknown as Logger;
}

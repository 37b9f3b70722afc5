import type { Logger } from 'pino';

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

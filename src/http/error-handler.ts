import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import { WriteQueueClosedError, WriteQueueFullError } from '../ingest/write-queue.js';
import { databaseErrorCode, isTransientDatabaseError } from '../storage/db.js';

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns an Ajv validation error into a message that starts with the field's name. */
export function describeValidation(issues: ValidationIssue[], context: string | undefined): string {
  const issue = issues[0];
  if (!issue) return 'invalid request';
  const missing = issue.params?.missingProperty;
  const extra = issue.params?.additionalProperty;
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const field = typeof missing === 'string' ? join(path, missing) : typeof extra === 'string' ? join(path, extra) : path;
  const where = field || context || 'body';
  if (typeof missing === 'string') return `${where}: is required`;
  if (typeof extra === 'string') return `${where}: is not a known field`;
  const allowed = issue.params?.allowedValues;
  if (Array.isArray(allowed)) return `${where}: must be one of ${allowed.join(', ')}`;
  return `${where}: ${issue.message ?? 'is invalid'}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export interface ErrorAnswer {
  status: number;
  message: string;
  headers: Record<string, string>;
}

/** What any error becomes on the wire: a status, a message naming the field, headers. */
export function describeError(error: FastifyError | AppError | Error): ErrorAnswer {
  let status = 500;
  let message = 'internal server error';
  let headers: Record<string, string> = {};

  if (error instanceof AppError) {
    status = error.status;
    message = error.message;
    headers = error.headers;
  } else if (isClientAbort(error)) {
    // Node's 'aborted' carries ECONNRESET, which from a database would mean "retry later".
    status = 400;
    message = 'body: the client aborted the request';
  } else if (isTransientDatabaseError(error)) {
    status = 503;
    message = 'database unavailable; retry later';
    headers = { 'retry-after': '5' };
  } else if (error instanceof WriteQueueFullError || error instanceof WriteQueueClosedError) {
    status = 503;
    message = `${error.message}; retry later`;
    headers = { 'retry-after': '1' };
  } else if ('validation' in error && Array.isArray(error.validation)) {
    status = 400;
    message = describeValidation(error.validation as ValidationIssue[], error.validationContext);
  } else if ('statusCode' in error && typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode;
    message = describeFrameworkError(error as FastifyError);
  }
  return { status, message, headers };
}

/** Logs an answered error: 4xx at warn, 5xx at error (with the stack, which is never sent). */
export function logError(request: FastifyRequest, error: Error, answer: ErrorAnswer): void {
  if (isClientAbort(error)) request.log.info({ status: answer.status }, 'request aborted by the client');
  else if (answer.status >= 500 && answer.status !== 503) request.log.error({ err: error }, 'request failed');
  // An outage is logged with the database's own code (SQLITE_FULL, 57P01, ECONNREFUSED).
  else if (answer.status === 503 && isTransientDatabaseError(error)) request.log.warn({ status: 503, message: answer.message, code: databaseErrorCode(error) ?? error.message }, 'request refused');
  else request.log.warn({ status: answer.status, message: answer.message }, 'request refused');
}

/**
 * A route's error handler for a protocol that names its errors its own way: the answer is ours,
 * `{"status": N, "message": "<field>: …"}`, plus what `vendorWords(status, message)` adds in the
 * protocol's words (Adjust's `error`, AppsFlyer's). A 403 (a token granted another app) is a
 * 401 where the protocol answers a key that does not match its app so.
 */
export function vendorErrorHandler(vendorWords: (status: number, message: string) => Record<string, string>) {
  return (error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void => {
    const answer = describeError(error);
    logError(request, error, answer);
    const status = answer.status === 403 ? 401 : answer.status;
    void reply
      .code(status)
      .headers(answer.headers)
      .send({ status, message: answer.message, ...vendorWords(status, answer.message) });
  };
}

/**
 * The one error handler. Every error leaves as `{"status": N, "message": "…"}` with the same N
 * in the HTTP status; 4xx are logged at warn, 5xx at error, and a 500 never says what broke.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const answer = describeError(error);
    logError(request, error, answer);
    void reply.code(answer.status).headers(answer.headers).send({ status: answer.status, message: answer.message });
  });

  // Every route's methods, by path pattern, so that a known path asked with another method is
  // a 405 naming the methods it takes, answered in that route's own error shape (v1's HTTP 200).
  const routes: KnownRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => m.toUpperCase() as HTTPMethod);
    let known = routes.find((r) => r.url === route.url);
    if (!known) {
      known = { url: route.url, pattern: patternOf(route.url), methods: new Set(), errorHandler: undefined };
      routes.push(known);
    }
    for (const m of methods) known.methods.add(m);
    known.errorHandler ??= route.errorHandler as KnownRoute['errorHandler'];
  });
  const notFound = answerNotFound(routes);
  app.decorate('answerNotFound', notFound);
  app.setNotFoundHandler(notFound);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The not-found handler (405 for a known path): plugins with an auth hook set it again in their scope. */
    answerNotFound: (request: FastifyRequest, reply: FastifyReply) => void;
  }
}

type HTTPMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS';
const METHOD_ORDER: HTTPMethod[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

interface KnownRoute {
  url: string;
  pattern: RegExp;
  methods: Set<HTTPMethod>;
  errorHandler: ((error: Error, request: FastifyRequest, reply: FastifyReply) => void) | undefined;
}

/** A route URL (`/admin/apps/:app_id`, `/dashboard/*`) as a regular expression over request paths. */
function patternOf(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/**
 * The not-found handler: 405 with `Allow` for a known path (HEAD is implied by GET), else 404.
 * Encapsulated plugins (the admin API) set it again so their own auth hook runs first.
 */
function answerNotFound(routes: KnownRoute[]) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    const path = request.url.split('?')[0]!;
    const matching = routes.filter((r) => r.pattern.test(path));
    const methods = new Set(matching.flatMap((r) => [...r.methods]));
    const allow = METHOD_ORDER.filter((m) => methods.has(m)).join(', ');
    if (allow === '') {
      void reply.code(404).send({ status: 404, message: `no route for ${request.method} ${path}` });
      return;
    }
    const error = new AppError(405, `method: ${request.method} is not allowed here; use ${allow}`, { allow });
    const own = matching.find((r) => r.errorHandler !== undefined)?.errorHandler;
    if (own) {
      own(error, request, reply);
      return;
    }
    const answer = describeError(error);
    logError(request, error, answer);
    void reply.code(answer.status).headers(answer.headers).send({ status: answer.status, message: answer.message });
  };
}

/** A request body cut short by its client: Node's `aborted` error (code ECONNRESET). */
function isClientAbort(error: Error): boolean {
  return (error as { code?: unknown }).code === 'ECONNRESET' && error.message === 'aborted';
}

/** Fastify's `frameworkErrors`: a URL its router cannot decode (FST_ERR_BAD_URL) is a 400 like any other. */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const answer: ErrorAnswer =
    error.code === 'FST_ERR_BAD_URL'
      ? { status: 400, message: 'path: not valid UTF-8 or a malformed %-escape', headers: {} }
      : { status: 500, message: 'internal server error', headers: {} };
  logError(request, error, answer);
  void reply.code(answer.status).send({ status: answer.status, message: answer.message });
}

function describeFrameworkError(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'body: larger than the limit';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'content-type: not supported; send application/json or application/x-www-form-urlencoded';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'body: empty JSON body';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'content-length: does not match the body';
    default:
      return error.message;
  }
}

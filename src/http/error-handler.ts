import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
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
  if (answer.status >= 500 && answer.status !== 503) request.log.error({ err: error }, 'request failed');
  // An outage is logged with the database's own code (SQLITE_FULL, 57P01, ECONNREFUSED).
  else if (answer.status === 503 && isTransientDatabaseError(error)) request.log.warn({ status: 503, message: answer.message, code: databaseErrorCode(error) ?? error.message }, 'request refused');
  else request.log.warn({ status: answer.status, message: answer.message }, 'request refused');
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

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ status: 404, message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });
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

import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { DEVICE_ID_KINDS, deviceIdsFrom, type DeviceIds } from '../domain/devices.js';
import { badRequest } from '../errors.js';

/** Request parameters as the seeds define them: one flat set from the query and the body. */
export type Params = Record<string, unknown>;

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

/**
 * A parameter's one value. A key sent more than once (`?event_id=x&event_id=`, as Swaarm's own
 * example does) collapses to its one non-blank value; two different non-blank values are an
 * error naming the key.
 */
function scalar(params: Params, key: string): unknown {
  const value = params[key];
  // A repeated key has two or more values; an empty array can only be a JSON `[]`, no value.
  if (Array.isArray(value) && value.length === 0) throw badRequest(`${key}: must be a single value, not an empty list`);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return value;
  const distinct = [...new Set((value as string[]).filter((v) => v.trim() !== ''))];
  if (distinct.length > 1) throw badRequest(`${key}: sent more than once with different values`);
  return distinct[0] ?? '';
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A UTF-16 surrogate not part of a pair (with the u flag, a pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

interface StringRule {
  max?: number;
  pattern?: RegExp;
  hint?: string;
}

/** A string parameter: blank counts as absent; anything but a string (or number) is a 400 naming it. */
export function optionalString(params: Params, key: string, rule: StringRule = {}): string | undefined {
  const raw = scalar(params, key);
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'string' && typeof raw !== 'number') throw badRequest(`${key}: must be a string`);
  const value = String(raw).trim();
  if (value === '') return undefined;
  // A JSON \ud800 escape is no character: it would be stored as invalid UTF-8 and cannot be URL-encoded.
  if (LONE_SURROGATE.test(value)) throw badRequest(`${key}: not valid Unicode (a lone surrogate)`);
  if (value.length > (rule.max ?? 512)) throw badRequest(`${key}: longer than ${rule.max ?? 512} characters`);
  if (rule.pattern && !rule.pattern.test(value)) throw badRequest(`${key}: ${rule.hint ?? 'has an invalid format'}`);
  return value;
}

export function requiredString(params: Params, key: string, rule: StringRule = {}): string {
  const value = optionalString(params, key, rule);
  if (value === undefined) throw badRequest(`${key}: is required`);
  return value;
}

/** A number parameter (a JSON number or a numeric string); blank counts as absent. */
export function optionalNumber(params: Params, key: string, range: { min?: number; max?: number } = {}): number | undefined {
  const raw = scalar(params, key);
  if (raw === undefined || raw === null || raw === '') return undefined;
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw badRequest(`${key}: must be a number`);
  if (range.min !== undefined && value < range.min) throw badRequest(`${key}: must be at least ${range.min}`);
  if (range.max !== undefined && value > range.max) throw badRequest(`${key}: must be at most ${range.max}`);
  return value;
}

/** A boolean flag such as `no_redirect=true`. */
export function flag(params: Params, key: string): boolean {
  const value = scalar(params, key);
  return value === true || value === 1 || (typeof value === 'string' && ['true', '1', 'yes'].includes(value.toLowerCase()));
}

/** An IP address parameter, validated. */
export function optionalIp(params: Params, key: string): string | undefined {
  const value = optionalString(params, key, { max: 64 });
  if (value !== undefined && isIP(value) === 0) throw badRequest(`${key}: "${value}" is not an IP address`);
  return value;
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

/** The request's device ids, each read as one string (a conflicting repeat is a 400), then normalised. */
export function readDeviceIds(params: Params): DeviceIds {
  const raw: Record<string, string | undefined> = {};
  for (const key of [...DEVICE_ID_KINDS, 'ifa']) raw[key] = optionalString(params, key, { max: 128 });
  return deviceIdsFrom(raw);
}

/**
 * The normalisers every record passes through, whether it came as request parameters or as a
 * line of `s2s import`: one flat map of field → value in, a clean value out, or a 400 naming the
 * field. No I/O and no HTTP: protocols/params.ts adds what only a request has (its query and
 * body, the client's address and User-Agent).
 */
import { isIP } from 'node:net';
import { DEVICE_ID_KINDS, deviceIdsFrom, type DeviceIds } from '../domain/devices.js';
import { MIN_EPOCH_SECONDS, futureTimeProblem } from '../domain/times.js';
import { badRequest } from '../errors.js';

/** Fields by name: request parameters (query and body merged) or an imported line. */
export type Params = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/** A whole number parameter (impressions, counts); blank counts as absent. */
export function optionalWholeNumber(params: Params, key: string, range: { min?: number; max?: number } = {}): number | undefined {
  const value = optionalNumber(params, key, range);
  if (value !== undefined && !Number.isInteger(value)) throw badRequest(`${key}: must be a whole number`);
  return value;
}

/**
 * A sender's time as epoch seconds, or as milliseconds when it is 10¹¹ or more (Adjust's
 * session example, MAX's `{TS}`), returned in epoch ms; blank counts as absent. `rule` says
 * what the text may look like. Before 2001, or more than an hour after `now`, is a 400.
 */
export function optionalEpochTime(params: Params, key: string, now: number, rule: { pattern: RegExp; hint: string }): number | undefined {
  const raw = optionalString(params, key, { max: 20, ...rule });
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (value < MIN_EPOCH_SECONDS) throw badRequest(`${key}: ${raw} is not epoch seconds`);
  const time = Math.floor(value >= 100_000_000_000 ? value : value * 1000);
  const problem = futureTimeProblem(key, time, now);
  if (problem !== undefined) throw badRequest(problem);
  return time;
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

/** The request's device ids, each read as one string (a conflicting repeat is a 400), then normalised. */
export function readDeviceIds(params: Params): DeviceIds {
  const raw: Record<string, string | undefined> = {};
  for (const key of [...DEVICE_ID_KINDS, 'ifa']) raw[key] = optionalString(params, key, { max: 128 });
  return deviceIdsFrom(raw);
}

/** Revenue and its currency: a non-negative amount, a 3-letter code (USD when the amount comes alone). */
export function readRevenue(params: Params, amountKey: string, currencyKey: string): { revenue?: number; currency?: string } {
  const revenue = optionalNumber(params, amountKey, { min: 0, max: 1e9 });
  const currency = optionalString(params, currencyKey, { max: 16, pattern: /^[A-Za-z]{3}$/, hint: 'must be a 3-letter currency code such as USD' });
  if (revenue === undefined) return currency === undefined ? {} : { currency: currency.toUpperCase() };
  return { revenue, currency: (currency ?? 'USD').toUpperCase() };
}

/** Free-form event data (Swaarm's `event_value`, an import's `event_value`): kept as text, a JSON value re-serialised. */
export function readFreeText(params: Params, key: string, max = 8192): string | undefined {
  const raw = params[key];
  if (raw === undefined || raw === null || raw === '') return undefined;
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  if (text.length > max) throw badRequest(`${key}: longer than ${max} characters`);
  return text;
}

/**
 * `params[key]` as a sender's event time, returned in epoch ms; blank counts as absent. Requests
 * send epoch seconds; an import line may also give ISO 8601 (`'seconds-or-iso'`). A time before
 * 2001 or more than FUTURE_TOLERANCE_MS after `now` is a 400 naming the key.
 */
export function optionalEventTime(params: Params, key: string, now: number, accept: 'seconds' | 'seconds-or-iso' = 'seconds'): number | undefined {
  const time = accept === 'seconds' ? epochSeconds(params, key) : epochSecondsOrIso(params, key);
  if (time === undefined) return undefined;
  const problem = futureTimeProblem(key, time, now);
  if (problem !== undefined) throw badRequest(problem);
  return time;
}

function epochSeconds(params: Params, key: string): number | undefined {
  const seconds = optionalNumber(params, key, { min: MIN_EPOCH_SECONDS });
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

function epochSecondsOrIso(params: Params, key: string): number | undefined {
  const value = params[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()))) {
    const seconds = Number(value);
    if (seconds < MIN_EPOCH_SECONDS || seconds > 10_000_000_000) throw badRequest(`${key}: ${value} is not epoch seconds`);
    return Math.round(seconds * 1000);
  }
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw badRequest(`${key}: "${String(value)}" is neither ISO 8601 nor epoch seconds`);
}

/**
 * Parsers for option values (commander's argParser hooks): a malformed value fails while the
 * command line is read, with a message naming the option, before any database is opened.
 * Limits stay in the admin schemas; their messages are translated in context.ts.
 */
import { parseDuration } from '../domain/windows.js';
import { badRequest } from '../errors.js';

const DURATION_EXAMPLES = '7d, 24h, 90m or 30s';

/** A whole number, optionally bounded: `--limit abc` → `--limit: must be a whole number, got "abc"`. */
export function wholeNumber(flag: string, bounds: { min?: number; max?: number } = {}): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value.trim())) throw badRequest(`${flag}: must be a whole number, got "${value}"`);
    return bounded(flag, Number(value), bounds);
  };
}

/** A decimal number (`1.75`, not `0x10` or `1e3`). */
export function decimal(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\s*-?\d+(\.\d+)?\s*$/.test(value)) throw badRequest(`${flag}: must be a number, got "${value}"`);
    return Number(value);
  };
}

/** `7d`, `24h`, `90m`, `30s` or plain seconds, in seconds. */
export function duration(flag: string, examples = DURATION_EXAMPLES): (value: string) => number {
  return (value) => {
    const seconds = parseDuration(value);
    if (seconds === undefined) throw badRequest(`${flag}: must be a duration such as ${examples}, got "${value}"`);
    return seconds;
  };
}

/** `on` or `off` (also `true`/`false`, `yes`/`no`) as a boolean. */
export function onOff(flag: string): (value: string) => boolean {
  return (value) => {
    const word = value.trim().toLowerCase();
    if (['on', 'true', 'yes'].includes(word)) return true;
    if (['off', 'false', 'no'].includes(word)) return false;
    throw badRequest(`${flag}: must be on or off, got "${value}"`);
  };
}

/**
 * What `orWords` gives for its words. Not null: commander stores a parser's null as '' (its
 * "missing value"), which then failed as "must be a whole number" (`--min-ctit default`).
 */
export const RESET = Symbol('reset');

/** A parser that also takes the given words (e.g. `default`, `off`) and returns RESET for them. */
export function orWords<T>(parse: (value: string) => T, ...words: string[]): (value: string) => T | typeof RESET {
  return (value) => (words.includes(value.trim()) ? RESET : parse(value));
}

/** An option's value with RESET read as null: the setting goes back to its default. */
export function resetToNull<T>(value: T | typeof RESET | undefined): T | null | undefined {
  return value === RESET ? null : value;
}

function bounded(flag: string, value: number, { min, max }: { min?: number; max?: number }): number {
  if (min !== undefined && value < min) throw badRequest(`${flag}: at least ${min}`);
  if (max !== undefined && value > max) throw badRequest(`${flag}: at most ${max}`);
  return value;
}

/** Seconds as the CLI writes durations: the largest unit that divides them (`7776000` → `90d`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (seconds !== 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

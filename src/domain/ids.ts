import { randomBytes } from 'node:crypto';

/**
 * Record ids: 24 lowercase hex characters, laid out like Chartboost's own click ids
 * (e.g. "178660e204b0166e0364e637"): 4 bytes of seconds since the epoch, 5 bytes chosen at
 * random once per process, 3 bytes of a counter. Sorting ids sorts them by time, and two
 * processes never mint the same id without coordinating.
 */
const processBytes = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

/** Mints a new time-ordered id, e.g. `newId(Date.now())`. */
export function newId(nowMs: number = Date.now()): string {
  counter = (counter + 1) & 0xffffff;
  const seconds = Math.floor(nowMs / 1000) >>> 0;
  return seconds.toString(16).padStart(8, '0') + processBytes + counter.toString(16).padStart(6, '0');
}

/** The second an id was minted in, as epoch milliseconds. */
export function idTimeMs(id: string): number {
  return parseInt(id.slice(0, 8), 16) * 1000;
}

export const ID_PATTERN = /^[0-9a-f]{24}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** App signatures are 40 lowercase hex characters, as on Chartboost's App Settings page. */
export function newAppSignature(): string {
  return randomBytes(20).toString('hex');
}

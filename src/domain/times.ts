/**
 * Sender times: an event, open or install happens now or in the past. A clock a little ahead
 * is tolerated; a time further ahead than that is refused, since it would count as activity
 * of days that have not begun (one open a day ahead made a cohort's retention 100 %).
 */

/** How far past the server clock a sender's time may lie: clock drift, not a day ahead. */
export const FUTURE_TOLERANCE_MS = 60 * 60 * 1000;

/** 2001-09-09 in epoch seconds: a time below it is not a real event time (or is in ms). */
export const MIN_EPOCH_SECONDS = 1_000_000_000;

/** Why the epoch-ms `time` is refused as of `now`, as `<field>: <reason>`; undefined when it is fine. */
export function futureTimeProblem(field: string, time: number, now: number): string | undefined {
  if (time <= now + FUTURE_TOLERANCE_MS) return undefined;
  // Past year 275 760 a Date cannot even be printed (toISOString throws): say so without it.
  const when = Number.isFinite(time) && Math.abs(time) <= 8.64e15 ? new Date(time).toISOString() : `${time} ms`;
  return `${field}: ${when} is more than 1 h after the server's clock (${new Date(now).toISOString()})`;
}

/** An epoch-ms time as ISO 8601, as the admin API and the CLI print times; null stays null. */
export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

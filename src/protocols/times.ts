/** The one reader of a sender's event time (epoch seconds), shared by every route that takes one. */
import { badRequest } from '../errors.js';
import { MIN_EPOCH_SECONDS, futureTimeProblem } from '../domain/times.js';
import { optionalNumber, type Params } from './params.js';

/**
 * `params[key]` as epoch seconds, returned in epoch ms; blank counts as absent. A time before
 * 2001 or more than FUTURE_TOLERANCE_MS after `now` is a 400 naming the key.
 */
export function optionalEventTime(params: Params, key: string, now: number): number | undefined {
  const seconds = optionalNumber(params, key, { min: MIN_EPOCH_SECONDS });
  if (seconds === undefined) return undefined;
  const time = Math.round(seconds * 1000);
  const problem = futureTimeProblem(key, time, now);
  if (problem !== undefined) throw badRequest(problem);
  return time;
}

/**
 * Where time-dependent code reads the time: the cache periods, the rate limiter, the
 * Idempotency-Key window and the times records are stamped with. Tests give a clock they
 * advance instead of sleeping.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

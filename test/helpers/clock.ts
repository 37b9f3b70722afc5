import type { Clock } from '../../src/domain/clock.js';

export type TestClock = Clock & { advance(ms: number): void };

/**
 * A clock a test moves forward where it would otherwise sleep. By default the real time plus an
 * offset (time still flows, so records keep their order); `frozen` stands still between
 * `advance` calls, for code whose answer depends on time alone (a cache period).
 */
export function skippingClock(options: { frozen?: boolean } = {}): TestClock {
  const start = Date.now();
  let offset = 0;
  const clock = (() => (options.frozen ? start : Date.now()) + offset) as TestClock;
  clock.advance = (ms) => {
    offset += ms;
  };
  return clock;
}

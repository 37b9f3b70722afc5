import v8 from 'node:v8';

/**
 * Caps how far V8 grows the old generation past what survived its last full collection, in
 * percent (`S2S_HEAP_GROWTH_PERCENT`); 0 leaves V8's own factor, which lets the heap reach up to
 * 4× what survived while batch requests keep their records alive for one commit, and the process
 * keeps the pages it took. V8 reads the flag at every collection, so setting it at start works as
 * well as the command-line flag (which NODE_OPTIONS does not accept), for every thread of the
 * process; each forked worker sets it again as it starts.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}

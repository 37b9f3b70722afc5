import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');

/**
 * A child process that allocates like `/measure` under load: batches of small records that live
 * for a while, most of which die; prints the largest heap V8 reserved meanwhile, in MB.
 */
const ALLOCATE = `
import { limitHeapGrowth } from './src/ops/heap-growth.ts';
limitHeapGrowth(Number(process.env.PERCENT));
const live = [];
let peak = 0;
for (let round = 0; round < 1000; round++) {
  live.push(Array.from({ length: 2000 }, (_, i) => ({ user: 'u-' + round + '-' + i, name: 'level_up', ip: '192.0.2.1', extra: { a: i, b: [i, i + 1] } })));
  if (live.length > 20) live.shift();
  if (round % 10 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
}
console.log(Math.round(peak / 1048576));
`;

async function peakHeapMb(percent: number): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--max-semi-space-size=4', '--import', 'tsx', '--input-type=module', '-e', ALLOCATE], {
    cwd: ROOT,
    env: { ...process.env, PERCENT: String(percent) },
  });
  return Number(stdout.trim());
}

describe('heap growth limit', () => {
  it('keeps the heap of a batch-like allocation well under what V8 reserves by its own factor', async () => {
    const [own, limited] = await Promise.all([peakHeapMb(0), peakHeapMb(20)]);
    // Measured: 66-67 MB by V8's own factor, 38-45 MB at 20 %.
    expect(limited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(own * 0.8);
  }, 60_000);
});

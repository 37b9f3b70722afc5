import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, cliNodeFlags } from '../../helpers/cli.js';

/**
 * V8's heap settings are start flags (issue #19): a 4 MB young generation and an old generation
 * that grows 20 % past what survived its last collection held peak RSS under `/measure` batches to
 * about 135 MB instead of 230–250 (docs/performance.md). `s2s` carries them in its shebang;
 * `npm start` runs `node` itself, so it must pass the same ones.
 */
describe('the server\'s Node flags', () => {
  it('are the same in the CLI\'s shebang, its build and npm start', () => {
    const flags = cliNodeFlags();
    expect(flags).toEqual(['--max-semi-space-size=4', '--heap-growing-percent=20']);
    expect(cliNodeFlags(path.join(ROOT, 'dist/cli/main.js'))).toEqual(flags);
    const start = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
    expect(start).toBe(`node ${flags.join(' ')} dist/cli/main.js serve`);
  });
});

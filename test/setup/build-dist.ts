/**
 * Vitest global setup: builds dist/ once before any test runs, because the CLI, system and
 * several integration tests spawn the built server and would otherwise test a stale build.
 *
 * The build is skipped when the last one this setup ran saw the same inputs (every file under
 * src/, the tsconfigs, package.json, the TypeScript version; compared by content, so a checkout
 * or a touched file does not fool it) and every output is still there.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
// Under node_modules/.cache so that a fresh clone (or `npm ci`) builds once; named by the
// checkout's path so that checkouts sharing one node_modules never take each other's build.
const STAMP = path.join(ROOT, 'node_modules/.cache/s2s-test-build', `${createHash('sha256').update(ROOT).digest('hex').slice(0, 16)}.sha256`);
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'node_modules/typescript/package.json'];

function sourceFiles(): string[] {
  return fs
    .readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

function inputsHash(sources: string[]): string {
  const hash = createHash('sha256');
  for (const file of [...sources, ...SETTINGS]) {
    hash.update(`${file}\0`);
    hash.update(fs.readFileSync(path.join(ROOT, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function outputsPresent(sources: string[]): boolean {
  return sources
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .every((file) => fs.existsSync(path.join(DIST, path.relative(SRC, path.join(ROOT, file)).replace(/\.ts$/, '.js'))));
}

export default function setup(): void {
  const sources = sourceFiles();
  const inputs = inputsHash(sources);
  const last = fs.existsSync(STAMP) ? fs.readFileSync(STAMP, 'utf8') : '';
  if (last === inputs && outputsPresent(sources)) return;

  // tsc writes its output even when it fails: until a build succeeds, no stamp vouches for dist/.
  fs.rmSync(STAMP, { force: true });
  const started = Date.now();
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`npm run build failed (exit ${build.status ?? build.signal}), so tests that spawn dist/ cannot run:\n${build.stdout}${build.stderr}${build.error ?? ''}`);
  }
  fs.mkdirSync(path.dirname(STAMP), { recursive: true });
  fs.writeFileSync(STAMP, inputs);
  console.log(`dist/ built from src/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * `npm run bench` (third part): `s2s import` of BENCH_IMPORT_LINES NDJSON lines (default
 * 1 million) into a fresh SQLite database, timed end to end as a user runs it (the CLI
 * process, parsing, attribution, group commits). The file is a backfill's usual mix: for each
 * user a click (every other user), an open that is the install, and purchases and level events.
 * Writes bench/results/import.json.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeRun, importLine, type ImportRun } from './results-markdown.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LINES = Number(process.env.BENCH_IMPORT_LINES ?? 1_000_000);
const CLI = path.join(ROOT, 'dist/cli/main.js');

function cli(args: string[], env: Record<string, string>): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`s2s ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-bench-import-'));
  const env = { DATA_DIR: path.join(dir, 'data') };
  const app = JSON.parse(cli(['apps', 'create', '--name', 'import', '--platform', 'android', '--json'], env));
  const campaign = JSON.parse(cli(['campaigns', 'create', '--app', app.app_id, '--network', 'unity', '--name', 'c', '--json'], env));

  const file = path.join(dir, 'backfill.ndjson');
  const out = fs.openSync(file, 'w');
  const start = Date.UTC(2026, 9, 1) / 1000;
  let written = 0;
  let chunk: string[] = [];
  const emit = (line: object) => {
    chunk.push(JSON.stringify(line));
    written++;
    if (chunk.length >= 10_000) {
      fs.writeSync(out, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  };
  for (let u = 0; written < LINES; u++) {
    const t = start + u * 5;
    const gaid = `imp-${u}`;
    if (u % 2 === 0 && written < LINES) emit({ type: 'click', time: t - 3600, campaign_id: campaign.campaign_id, gaid, ip: `10.${(u >> 16) & 255}.${(u >> 8) & 255}.${u & 255}` });
    if (written < LINES) emit({ type: 'open', time: t, gaid });
    for (let e = 0; e < 3 && written < LINES; e++) {
      emit(e === 2 && u % 10 === 0 ? { type: 'event', time: t + 600, gaid, event_id: 'purchase', revenue: 4.99, currency: 'USD' } : { type: 'event', time: t + 60 * (e + 1), gaid, event_id: `level_${e + 1}` });
    }
  }
  fs.writeSync(out, chunk.length ? `${chunk.join('\n')}\n` : '');
  fs.closeSync(out);

  const started = Date.now();
  const summary = JSON.parse(cli(['import', '--app', app.app_id, '--file', file, '--json'], env));
  const seconds = (Date.now() - started) / 1000;
  const result: ImportRun = {
    ...describeRun(),
    lines: LINES,
    seconds: Math.round(seconds * 10) / 10,
    lines_per_s: Math.round(LINES / seconds),
    imported: summary.imported,
    errors: summary.errors.length,
  };
  fs.writeFileSync(path.join(ROOT, 'bench/results/import.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${importLine(result)}`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main();

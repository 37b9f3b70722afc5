import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/storage/db.js';
import { SQLITE_FILE } from '../../src/storage/sqlite/sqlite-store.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI, as `npx s2s` runs it (test/setup/build-dist.ts builds it before the tests). */
export const CLI = path.join(ROOT, 'dist/cli/main.js');

/** The Node flags the CLI's shebang runs with (`#!/usr/bin/env -S node --flag …`), as `s2s serve` gets them. */
export function cliNodeFlags(file: string = path.join(ROOT, 'src/cli/main.ts')): string[] {
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0]!;
  const match = /^#!\/usr\/bin\/env -S node((?: --[^ ]+)*)$/.exec(first);
  if (!match) throw new Error(`${file}: the shebang is not "#!/usr/bin/env -S node --flags…": ${first}`);
  return match[1]!.split(' ').filter(Boolean);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
}

/**
 * Runs `s2s ...args` exactly as given, with the environment added to a minimal one: a command
 * other than `serve` or `migrate` finds no database unless one was migrated.
 */
export function runCliRaw(args: string[], env: Record<string, string>, options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env }, cwd: options.cwd ?? ROOT, timeout: 20_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Databases (by DATA_DIR, DATABASE_URL and DATABASE_SCHEMA) known to be migrated. */
const migrated = new Set<string>();

/**
 * Migrates the database an environment names, as `s2s migrate` does (in this process, which
 * saves a CLI start per test on a busy machine), unless it is known to be migrated already.
 */
async function ensureMigrated(env: Record<string, string>): Promise<void> {
  const key = JSON.stringify([env.DATA_DIR, env.DATABASE_URL, env.DATABASE_SCHEMA]);
  if (migrated.has(key)) return;
  if (env.DATABASE_URL === undefined && fs.existsSync(path.join(env.DATA_DIR!, SQLITE_FILE))) return void migrated.add(key);
  let config;
  try {
    config = loadConfig(env);
  } catch {
    return; // a bad setting is the command's own to report
  }
  const store = openStore(config);
  try {
    await store.migrate();
    migrated.add(key);
  } catch {
    // So is an unreachable database: the command meets the same one.
  } finally {
    await store.close();
  }
}

/**
 * Runs `s2s ...args` on a migrated database: the tests' fresh environments name a database no
 * one created yet, and only `s2s migrate` creates one, so it is migrated first as a user would.
 * Only for an environment naming its DATA_DIR (each test backend's does), never before `serve`
 * or `migrate`. runCliRaw runs a command on whatever is there.
 */
export async function runCli(args: string[], env: Record<string, string>, options: RunOptions = {}): Promise<CliResult> {
  const command = args[0];
  if (env.DATA_DIR !== undefined && command !== undefined && !['serve', 'migrate'].includes(command) && !command.startsWith('-')) await ensureMigrated(env);
  return runCliRaw(args, env, options);
}

/** Runs a CLI command that must succeed with --json and returns its one JSON document. */
export async function cliJson(args: string[], env: Record<string, string>): Promise<any> {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`s2s ${args.join(' ')} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<number | null>;
}

/** Starts `s2s serve` (or the given args) as a real process and waits for it to listen. */
export async function startServerProcess(env: Record<string, string>, args: string[] = ['serve', '--port', '0', '--host', '127.0.0.1']): Promise<ServerProcess> {
  // With the shebang's flags, as the installed `s2s` runs: the server under test is the one shipped.
  const child = spawn(process.execPath, [...cliNodeFlags(), CLI, ...args], {
    // One process unless a test asks for workers (on PostgreSQL the default is one per core).
    env: { PATH: process.env.PATH, LOG_LEVEL: 'info', S2S_WORKERS: '1', ...env },
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // never leave a half-started server behind
      reject(new Error(`server did not start:\n${output.join('\n')}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        output.push(line);
        const match = /Server listening at (https?:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${output.join('\n')}`)));
  });
  return { child, url, output, exited };
}

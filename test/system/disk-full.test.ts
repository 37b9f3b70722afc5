/**
 * Must hold 3 of issue 18: a full disk is an outage. The real server runs on SQLite with its
 * data directory on a small tmpfs; under load a filler file takes the last free byte, writes
 * fail, and every refusal must be a 503 with Retry-After while /readyz says not ready. Once
 * the filler is gone, writes succeed again, /readyz recovers, and every acknowledged (200)
 * record is stored, once.
 *
 * Mounting needs root (or CAP_SYS_ADMIN); where it is not allowed the test is skipped with a
 * message saying so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/backends.js';
import { call, startTestServer } from '../helpers/server.js';

const sqlite = BACKENDS.find((b) => b.name === 'sqlite');
/**
 * Well over what the WAL takes between checkpoints (4 000 pages, 16 MB): a disk the WAL alone
 * could fill would be a full disk the server fills itself, which never ends.
 */
const SIZE = '64m';

function mountTmpfs(dir: string, size: string): boolean {
  return spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' }).status === 0;
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
}

/** Whether this machine lets the test mount a tmpfs (root in a container that allows it). */
function mountingAllowed(): boolean {
  if (process.platform !== 'linux') return false;
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-mount-probe-'));
  try {
    if (!mountTmpfs(probe, '1m')) return false;
    unmount(probe);
    return true;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const allowed = sqlite !== undefined && mountingAllowed();
if (!allowed) {
  console.warn(
    sqlite === undefined
      ? 'disk-full test skipped: S2S_TEST_BACKENDS leaves out sqlite'
      : 'disk-full test skipped: mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN on Linux)',
  );
}

/** Writes a file until the filesystem has no byte left (ENOSPC); returns its path. */
function fillDisk(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  }
  // The last partial chunk: take what is left, byte by byte in smaller writes.
  for (const size of [4096, 512, 1]) {
    try {
      for (;;) fs.writeSync(fd, chunk.subarray(0, size));
    } catch (error) {
      if ((error as { code?: string }).code !== 'ENOSPC') throw error;
    }
  }
  fs.closeSync(fd);
  return filler;
}

describe.runIf(allowed)('a full disk on SQLite', () => {
  it('answers 503 with Retry-After, fails /readyz, and keeps every acknowledged record once space returns', async () => {
    const mount = fs.mkdtempSync(path.join(os.tmpdir(), 's2s-diskfull-'));
    expect(mountTmpfs(mount, SIZE)).toBe(true);
    const dataDir = path.join(mount, 'data');
    let filler: string | undefined;
    try {
      const server = await startTestServer(sqlite!, { DATA_DIR: dataDir, LOG_LEVEL: 'warn', S2S_AUTH_CACHE_MS: '60000' });
      const acknowledged: string[] = [];
      const statuses = new Map<number, number>();
      const refusals = new Set<string>();
      let stop = false;
      try {
        const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: 'D', platform: 'android' } })).body;
        const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token as string;
        let n = 0;
        const clients = Array.from({ length: 8 }, async () => {
          while (!stop) {
            const gaid = `dev-${n++}-${'x'.repeat(100)}`;
            const res = await fetch(`${server.url}/api/v2/open?token=${token}&app_id=${app.app_id}&gaid=${gaid}`, { signal: AbortSignal.timeout(10_000) });
            const body = await res.text();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status === 200) acknowledged.push(gaid);
            else refusals.add(`${res.status} retry-after=${res.headers.get('retry-after')} ${body}`);
          }
        });
        try {
          await expect.poll(() => acknowledged.length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(300);
          filler = fillDisk(mount);
          // Writes fail: refused as an outage, and /readyz says so.
          await expect.poll(() => statuses.get(503) ?? 0, { timeout: 15_000, interval: 50 }).toBeGreaterThan(10);
          await expect.poll(async () => (await call(`${server.url}/readyz`)).status, { timeout: 5000, interval: 50 }).toBe(503);
          const duringOutage = acknowledged.length;
          fs.rmSync(filler);
          filler = undefined;
          // Space is back: writes succeed, and readiness follows.
          await expect.poll(() => acknowledged.length, { timeout: 15_000, interval: 50 }).toBeGreaterThan(duringOutage + 100);
          await expect.poll(async () => (await call(`${server.url}/readyz`)).status, { timeout: 5000, interval: 50 }).toBe(200);
        } finally {
          stop = true;
          await Promise.all(clients);
          const codes = new Set(server.logs.filter((l) => l.includes('request refused')).map((l) => (JSON.parse(l) as { code?: string }).code));
          console.log(`disk full: ${JSON.stringify(Object.fromEntries(statuses))}; refusals: ${[...refusals].slice(0, 3).join(' | ')}; codes: ${[...codes].join(', ')}`);
        }
        expect([...statuses.keys()].sort()).toEqual([200, 503]);
        const answers = [...refusals].map((r) => r.replace(/ \{.*/, ''));
        expect(new Set(answers)).toEqual(new Set(answers.filter((a) => /^503 retry-after=\d+$/.test(a))));

        const { store } = server.db;
        const known = new Set((await store.listKnownDevices(app.app_id)).map((d) => d.value));
        expect(acknowledged.filter((g) => !known.has(g))).toEqual([]);
        // Once: one install and one open per device, however many tries it took.
        const installs = (await store.listInstalls(app.app_id)).filter((i) => i.kind === 'install');
        const opens = (await store.listEvents(app.app_id)).filter((e) => e.kind === 'open');
        expect(installs.length).toBe(known.size);
        expect(opens.length).toBe(known.size);
        expect(new Set(opens.map((e) => e.user_pk)).size).toBe(opens.length);
      } finally {
        stop = true;
        await server.close();
      }
    } finally {
      if (filler) fs.rmSync(filler, { force: true });
      unmount(mount);
      fs.rmSync(mount, { recursive: true, force: true });
    }
  }, 55_000);
});

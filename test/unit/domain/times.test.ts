import { describe, expect, it } from 'vitest';
import type { App } from '../../../src/domain/apps.js';
import { FUTURE_TOLERANCE_MS } from '../../../src/domain/times.js';
import { ImportLineError, importRecord } from '../../../src/ingest/import-lines.js';

const HOUR_S = 3600;

describe('sender times more than 1 h ahead of the server clock', () => {
  it('tolerates one hour of clock drift, no more', () => {
    expect(FUTURE_TOLERANCE_MS).toBe(3_600_000);
  });

  it('s2s import refuses such a line, naming `time`, and takes one just inside the tolerance', () => {
    const app = { app_id: 'a'.repeat(24), platform: 'android', settings: {} } as unknown as App;
    const now = Date.UTC(2026, 0, 10, 12);
    const line = (time: unknown) => ({ type: 'open', time, gaid: 'g1' });
    const read = (time: unknown) => importRecord(app, line(time), JSON.stringify(line(time)), () => undefined, now);
    expect(() => read(now / 1000 + 2 * HOUR_S)).toThrow(ImportLineError);
    expect(() => read(now / 1000 + 2 * HOUR_S)).toThrow(/^time: .*more than 1 h after the server's clock/);
    expect(() => read(new Date(now + 86_400_000).toISOString())).toThrow(/^time: /);
    expect(read(now / 1000 + HOUR_S - 60)).toMatchObject({ kind: 'conversion' });
    expect(read('2026-01-10T12:30:00Z')).toMatchObject({ kind: 'conversion' });
  });
});

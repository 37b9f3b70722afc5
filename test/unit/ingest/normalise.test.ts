import { describe, expect, it } from 'vitest';
import type { App } from '../../../src/domain/apps.js';
import { AppError } from '../../../src/errors.js';
import { ImportLineError, importRecord } from '../../../src/ingest/import-lines.js';
import { optionalEventTime, readRevenue } from '../../../src/ingest/normalise.js';

const app = { app_id: 'a'.repeat(24), platform: 'android' } as App;
const NOW = Date.UTC(2026, 11, 1);
const second = Math.floor(NOW / 1000) - 60;

/** The 400 message a request's normaliser gives for these fields, or undefined when it takes them. */
function requestMessage(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as Error).message;
  }
}

function importMessage(line: Record<string, unknown>): string | undefined {
  try {
    importRecord(app, line, JSON.stringify(line), () => undefined, NOW);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ImportLineError);
    return (error as Error).message;
  }
}

describe('one normaliser for requests and import lines', () => {
  it('refuses the same revenue, currency, time and text the same way', () => {
    const event = { type: 'event', time: second, user_id: 'u', event_id: 'buy' };
    const cases: [Record<string, unknown>, () => unknown][] = [
      [{ revenue: -1 }, () => readRevenue({ revenue: -1 }, 'revenue', 'currency')],
      [{ revenue: 'lots' }, () => readRevenue({ revenue: 'lots' }, 'revenue', 'currency')],
      [{ revenue: 1, currency: 'EURO' }, () => readRevenue({ revenue: 1, currency: 'EURO' }, 'revenue', 'currency')],
      [{ time: second + 7200 }, () => optionalEventTime({ time: second + 7200 }, 'time', NOW)],
      [{ time: 999 }, () => optionalEventTime({ time: 999 }, 'time', NOW, 'seconds-or-iso')],
    ];
    for (const [fields, read] of cases) {
      const expected = requestMessage(read);
      expect(expected).toBeDefined();
      expect(importMessage({ ...event, ...fields })).toBe(expected);
    }
    // A lone surrogate is no text, in a request or a line.
    expect(importMessage({ ...event, event_id: 'x\ud800' })).toBe('event_id: not valid Unicode (a lone surrogate)');
  });

  it('reads revenue, currency and ISO times of a line as a request reads them', () => {
    const op = importRecord(app, { type: 'event', time: '2026-11-30T10:00:00Z', user_id: 'u', event_id: 'buy', revenue: '2.5', currency: 'eur' }, 'line', () => undefined, NOW);
    expect(op.kind === 'conversion' && op.conversion.event).toMatchObject({ kind: 'purchase', revenue: 2.5, currency: 'EUR' });
    expect(op.kind === 'conversion' && op.conversion.time).toBe(Date.UTC(2026, 10, 30, 10));
  });
});

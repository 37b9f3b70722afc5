import fs from 'node:fs';
import readline from 'node:readline';
import type { Command } from 'commander';
import { parse as parseCsv } from 'csv-parse';
import { notFound, badRequest } from '../errors.js';
import { ImportLineError, importRecord, IMPORT_TYPES } from '../ingest/import-lines.js';
import { buildIngestPipeline } from '../ingest/pipeline.js';
import type { WriteOp } from '../ingest/records.js';
import { action, withStore } from './context.js';
import { printResult } from './output.js';

interface Line {
  number: number;
  raw: string;
  record: Record<string, unknown> | undefined;
  parseError?: string;
}

/** Reads a file as NDJSON or CSV (with a header row), one record per line, with line numbers. */
async function* readLines(file: string, format: 'ndjson' | 'csv'): AsyncGenerator<Line> {
  if (format === 'csv') {
    const parser = fs.createReadStream(file).pipe(parseCsv({ columns: true, raw: true, info: true, skip_empty_lines: true, relax_column_count: true, bom: true }));
    for await (const row of parser as AsyncIterable<{ record: Record<string, string>; raw: string; info: { lines: number } }>) {
      yield { number: row.info.lines, raw: row.raw, record: row.record };
    }
    return;
  }
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  for await (const raw of lines) {
    number++;
    if (raw.trim() === '') continue;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) yield { number, raw, record: undefined, parseError: 'line: not a JSON object' };
      else yield { number, raw, record: parsed as Record<string, unknown> };
    } catch {
      yield { number, raw, record: undefined, parseError: 'line: not valid JSON' };
    }
  }
}

/** Lines per import transaction. */
const IMPORT_BATCH = 4000;

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('backfill clicks, views, installs, opens and events from NDJSON or CSV (re-importing adds nothing twice)')
    .requiredOption('--app <app_id>', 'the app the records belong to')
    .requiredOption('--file <path>', 'one record per line: type, time, and the fields of the matching endpoint')
    .option('--format <format>', 'ndjson or csv (default: from the file name)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; file: string; format?: string; json?: boolean }) => {
        const format = (opts.format ?? (opts.file.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson')) as 'ndjson' | 'csv';
        if (format !== 'ndjson' && format !== 'csv') throw badRequest('format: must be ndjson or csv');
        if (!fs.existsSync(opts.file)) throw badRequest(`file: ${opts.file} does not exist`);
        const summary = await withStore(async (store) => {
          const app = await store.getApp(opts.app);
          if (!app) throw notFound(`app: unknown app ${opts.app}`);
          const campaigns = new Map((await store.listCampaigns(app.app_id)).map((c) => [c.campaign_id, c]));
          // Same write path as live traffic, one commit at a time so lines apply in order; larger
          // batches than the server's, since no caller waits on a line (commits were a quarter of
          // the time at 500 a batch). The batch timer is long: batches fill to IMPORT_BATCH and
          // are flushed below, instead of committing whatever one read of the file produced.
          const rates = new Map((await store.listRates()).map((r) => [r.currency, r.usd_per_unit]));
          // An import owes no postbacks: the networks were told, or not, when it happened.
          const pipeline = buildIngestPipeline(store, {
            batchDelayMs: 1000,
            maxBatch: IMPORT_BATCH,
            maxQueue: 4 * IMPORT_BATCH,
            concurrency: 1,
            postbacksFor: async () => [],
            rates: async () => rates,
            retryTtlMs: 0,
          });
          /** Records a line's op; whether it added something (a repeat of an earlier import adds nothing). */
          const isNew = async (op: WriteOp, type: string): Promise<boolean> => {
            if (op.kind === 'touchpoint') return (await pipeline.recordTouch(op.touchpoint, op.idempotencyKey)).stored;
            if (op.kind === 'skan') return (await pipeline.recordSkan(op.postback)).stored;
            const outcome = await pipeline.record(op.conversion);
            return type === 'install' ? outcome.newUser : outcome.eventStored;
          };
          const counts: Record<string, number> = Object.fromEntries(IMPORT_TYPES.map((t) => [t, 0]));
          let duplicates = 0;
          let read = 0;
          const errors: { line: number; message: string }[] = [];
          const progress = createProgress(!opts.json && process.stderr.isTTY);

          // Touchpoints first, then conversions: a conversion finds every click of the file,
          // wherever its line stands.
          for (const pass of ['touchpoints', 'conversions'] as const) {
            const pending: Promise<void>[] = [];
            for await (const line of readLines(opts.file, format)) {
              const type = line.record?.type;
              const isTouch = type === 'click' || type === 'view';
              if ((pass === 'touchpoints') !== isTouch) continue;
              read++;
              if (line.parseError || !line.record) {
                errors.push({ line: line.number, message: line.parseError ?? 'line: unreadable' });
                continue;
              }
              let op: WriteOp;
              try {
                op = importRecord(app, line.record, line.raw, (id) => campaigns.get(id));
              } catch (error) {
                if (!(error instanceof ImportLineError)) throw error;
                errors.push({ line: line.number, message: error.message });
                continue;
              }
              const recordType = String(type);
              pending.push(
                isNew(op, recordType).then(
                  (fresh) => {
                    if (fresh) counts[recordType] = (counts[recordType] ?? 0) + 1;
                    else duplicates++;
                  },
                  (error: unknown) => {
                    errors.push({ line: line.number, message: error instanceof Error ? error.message : String(error) });
                  },
                ),
              );
              if (pending.length >= 2 * IMPORT_BATCH) {
                await pipeline.flush();
                await Promise.all(pending.splice(0));
              }
              progress(read);
            }
            await pipeline.flush();
            await Promise.all(pending);
          }
          await pipeline.close();
          progress(read, true);
          errors.sort((a, b) => a.line - b.line);
          return { app_id: app.app_id, lines: read, imported: counts, duplicates, errors };
        });
        const rows = [...Object.entries(summary.imported).map(([type, n]) => ({ type, n })), { type: 'duplicates', n: summary.duplicates }, { type: 'errors', n: summary.errors.length }];
        printResult(Boolean(opts.json), summary, rows, [
          { header: 'record', value: (r) => r.type },
          { header: 'count', value: (r) => r.n },
        ]);
        if (!opts.json) for (const e of summary.errors.slice(0, 50)) process.stdout.write(`line ${e.line}: ${e.message}\n`);
      }),
    );
}

/** A one-line progress counter on a terminal; silent otherwise. */
function createProgress(enabled: boolean): (lines: number, done?: boolean) => void {
  const started = Date.now();
  let last = 0;
  return (lines, done = false) => {
    if (!enabled) return;
    const now = Date.now();
    if (!done && now - last < 200) return;
    last = now;
    const rate = Math.round(lines / Math.max(0.001, (now - started) / 1000));
    process.stderr.write(`\rimported ${lines} lines (${rate}/s)${done ? '\n' : ''}`);
  };
}

import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { EXPORT_FORMATS, EXPORT_TYPES, exportChunks, readExportRequest } from '../reports/export.js';
import { action, withStore } from './context.js';

interface ExportOptions {
  app: string;
  type: string;
  from: string;
  to: string;
  format: string;
  output?: string;
}

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('stream an app’s rows of one kind in a range of UTC days, as NDJSON or CSV, in constant memory (docs/exports.md)')
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--type <type>', EXPORT_TYPES.join(' | '))
    .requiredOption('--from <day>', 'first day, YYYY-MM-DD (UTC)')
    .requiredOption('--to <day>', 'last day, YYYY-MM-DD (UTC), included')
    .option('--format <format>', EXPORT_FORMATS.join(' | '), 'ndjson')
    .option('--output <file>', 'write to this file instead of stdout')
    .action(
      action(async (opts: ExportOptions) => {
        await withStore(async (store) => {
          const request = await readExportRequest(store, { app_id: opts.app, type: opts.type, format: opts.format, from: opts.from, to: opts.to });
          const toFile = opts.output !== undefined;
          const progress = new Progress(process.stderr.isTTY === true);
          const chunks = Readable.from(exportChunks(store, request, (rows) => (progress.rows += rows)), { highWaterMark: 1 });
          chunks.on('data', (chunk: string) => progress.wrote(Buffer.byteLength(chunk)));
          try {
            // Backpressure: the next page is read once the reader took this one.
            await pipeline(chunks, toFile ? fs.createWriteStream(opts.output!) : process.stdout, { end: toFile });
          } catch (error) {
            // A reader that went away (`| head`) ends the export quietly; any other error fails it.
            const code = (error as NodeJS.ErrnoException).code;
            if (code !== 'EPIPE' && code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
          }
          progress.done();
        });
      }),
    );
}

/** The progress line on a terminal: rows, megabytes and seconds, at most four times a second. */
class Progress {
  rows = 0;
  bytes = 0;
  private readonly started = Date.now();
  private shownAt = 0;

  constructor(private readonly show: boolean) {}

  wrote(bytes: number): void {
    this.bytes += bytes;
    const now = Date.now();
    if (!this.show || now - this.shownAt < 250) return;
    this.shownAt = now;
    process.stderr.write(`\r${this.line(now)}`);
  }

  done(): void {
    if (this.show) process.stderr.write(`\r${this.line(Date.now())}\n`);
  }

  private line(now: number): string {
    return `exported ${this.rows.toLocaleString('en-US')} rows, ${(this.bytes / 1e6).toFixed(1)} MB in ${((now - this.started) / 1000).toFixed(1)} s`;
  }
}

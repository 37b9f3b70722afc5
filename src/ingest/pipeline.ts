import { idempotencyCutoff } from '../domain/idempotency.js';
import type { Postback } from '../postbacks/formats/index.js';
import { isDatabaseOutage } from '../storage/db.js';
import type { SkanPostbackRow, Touchpoint } from '../domain/entities.js';
import type { IngestStore } from '../storage/store.js';
import { applyBatch } from './apply-batch.js';
import type { ConversionOutcome, ConversionRecord, WriteOp, WriteOutcome } from './records.js';
import { WriteQueue, type WriteOutage } from './write-queue.js';

export interface IngestPipelineOptions {
  /** Group commit: how long a record waits for companions, most records per transaction, most waiting. */
  batchDelayMs: number;
  maxBatch: number;
  maxQueue: number;
  /** Batches committing at once; the store's own bound unless given (an import commits one at a time, in order). */
  concurrency?: number;
  /** The app's active postbacks, read before each transaction (none for an import). */
  postbacksFor(appId: string): Promise<Postback[]>;
  /** The operator's currency rates, read before each transaction. */
  rates(): Promise<ReadonlyMap<string, number>>;
  /** How long a queued postback is tried. */
  retryTtlMs: number;
  /** Called after a commit that queued postbacks, so they are sent now rather than at the next poll. */
  onPostbacksQueued?: () => void;
  /** Called after each commit attempt, for metrics. */
  onCommit?: (size: number, durationMs: number, ok: boolean) => void;
}

/** What a recorded touchpoint came to: whether it was new, and its id (the first request's, for a repeated Idempotency-Key). */
export interface TouchOutcome {
  stored: boolean;
  id: string;
}

/**
 * The one way records reach the database, for the server and `s2s import` alike: validated
 * records in, attributed and committed by group commit, answered once durable. Every method
 * resolves only after the commit that holds its records, and rejects when they are not stored
 * (a full queue, an outage, a record the database refuses: only that record's caller fails).
 */
export interface IngestPipeline {
  /** Attributes and records one conversion; its outcome carries the attribution. */
  record(conversion: ConversionRecord): Promise<ConversionOutcome>;
  /** Records conversions that stand or fall together (a `/measure` batch): one transaction, all or none. */
  recordAll(conversions: ConversionRecord[]): Promise<ConversionOutcome[]>;
  /** Records a click or view; a repeated `idempotencyKey` keeps the first request's id for 7 days (domain/idempotency.ts). */
  recordTouch(touchpoint: Touchpoint, idempotencyKey?: string): Promise<TouchOutcome>;
  /** Records an Apple postback (SKAdNetwork, AdAttributionKit); false for a repeat of one stored. */
  recordSkan(postback: SkanPostbackRow): Promise<{ stored: boolean }>;
  /** Records waiting for a commit. */
  readonly depth: number;
  /** Set while writes fail with an outage (/readyz). */
  readonly outage: WriteOutage | undefined;
  /** Resolves once everything handed over so far is committed or refused. */
  flush(): Promise<void>;
  /** Refuses new records and waits for the queued ones. */
  close(): Promise<void>;
}

export function buildIngestPipeline(store: IngestStore, options: IngestPipelineOptions): IngestPipeline {
  const context = { postbacksFor: options.postbacksFor, rates: options.rates, retryTtlMs: options.retryTtlMs };
  const { onPostbacksQueued } = options;
  const queue = new WriteQueue<WriteOp, WriteOutcome>(
    async (ops) => {
      const outcomes = await applyBatch(store, ops, context);
      // Waking the dispatcher on every commit cost a claim query per batch (2 % of an ingest
      // benchmark) for apps without postbacks: only a commit that queued some wakes it.
      if (onPostbacksQueued && outcomes.some((o) => o.kind === 'conversion' && o.outcome.postbacksQueued > 0)) onPostbacksQueued();
      return outcomes;
    },
    {
      batchDelayMs: options.batchDelayMs,
      maxBatch: options.maxBatch,
      maxQueue: options.maxQueue,
      concurrency: options.concurrency ?? store.writeConcurrency,
      onCommit: options.onCommit,
      isOutage: isDatabaseOutage,
    },
  );
  return {
    async record(conversion) {
      return conversionOutcome(await queue.submit({ kind: 'conversion', conversion }));
    },
    async recordAll(conversions) {
      return (await queue.submitAll(conversions.map((conversion) => ({ kind: 'conversion', conversion })))).map(conversionOutcome);
    },
    async recordTouch(touchpoint, idempotencyKey) {
      if (idempotencyKey !== undefined) {
        // A retry within the window is answered with the first request's id without queueing
        // anything; the batch claims the key again (apply-batch.ts), for retries that race.
        const known = await store.findIdempotencyKey(touchpoint.app_id, idempotencyKey, idempotencyCutoff(touchpoint.created_at));
        if (known !== undefined) return { stored: false, id: known };
      }
      const outcome = await queue.submit({ kind: 'touchpoint', touchpoint, idempotencyKey });
      if (outcome.kind !== 'touchpoint') throw new Error('the write queue answered a touchpoint with another kind');
      return { stored: outcome.stored, id: outcome.id };
    },
    async recordSkan(postback) {
      const outcome = await queue.submit({ kind: 'skan', postback });
      if (outcome.kind !== 'skan') throw new Error('the write queue answered an Apple postback with another kind');
      return { stored: outcome.stored };
    },
    get depth() {
      return queue.depth;
    },
    get outage() {
      return queue.outage;
    },
    flush: () => queue.flush(),
    close: () => queue.close(),
  };
}

function conversionOutcome(outcome: WriteOutcome): ConversionOutcome {
  if (outcome.kind !== 'conversion') throw new Error('the write queue answered a conversion with another kind');
  return outcome.outcome;
}

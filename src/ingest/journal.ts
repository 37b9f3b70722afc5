/**
 * The ingest journal (`S2S_INGEST_JOURNAL=on`). A conversion whose answer does not depend on
 * its attribution (every open, install and event but Swaarm's /s2sevent) is answered once it
 * is appended to the journal table, in the same group commit that would have recorded it. The
 * applier below then records journal entries in arrival order, each in the transaction that
 * deletes it from the journal, so an entry is recorded exactly once, across crashes and
 * across processes sharing a PostgreSQL database.
 *
 * The point is bursts: an append is one short insert, attribution is a dozen statements. While
 * the event loop is busy answering requests, recording takes a small share; it goes at full
 * speed when the loop has time to spare or no conversions are arriving. Past `maxPending`
 * waiting entries, requests are attributed before their answer again, which bounds how far
 * reports can fall behind.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { App } from '../domain/apps.js';
import { AppError } from '../errors.js';
import { isTransientDatabaseError } from '../storage/db.js';
import type { JournalEntry, Store } from '../storage/store.js';
import { applyBatch, type BatchContext } from './apply-batch.js';
import type { ConversionRecord, WriteOp, WriteOutcome } from './records.js';
import { WriteQueueClosedError, WriteQueueFullError } from './write-queue.js';

/**
 * How busy the event loop may be before recording steps aside: above this share of the last
 * round's time spent working (Node's event-loop utilisation) while conversions keep arriving,
 * requests are arriving faster than they can be answered with recording at full speed.
 */
const BUSY_UTILIZATION = 0.7;
/**
 * While busy, a round every BUSY_PAUSE_MS records a share of the backlog that would clear it
 * in LAG_TARGET_MS (at least MIN_CHUNK entries), so a burst is answered first and a backlog
 * still shrinks under lasting load; past `maxPending` the requests themselves slow down.
 */
const BUSY_PAUSE_MS = 50;
const LAG_TARGET_MS = 600_000;
const MIN_CHUNK = 20;
/** Entries per round while the loop has time to spare. */
const IDLE_CHUNK = 500;
/** After a database outage, how long before the next try. */
const RETRY_MS = 1000;
/**
 * Rounds an entry failing with an error that is neither an outage nor known to be permanent
 * (an unexpected database error) is tried before it is set aside: a cause mistaken for
 * permanent must not set acknowledged records aside on its first failure.
 */
const MAX_UNEXPLAINED_FAILURES = 5;

/** An entry names an app that was removed: recording it would fail every time. */
class AppGoneError extends Error {}

/**
 * Whether an entry failing with `error` would fail every time: a record the server refuses
 * (an AppError 4xx) or an app that is gone. Outages never are; what is neither is retried a few rounds.
 */
function isPermanent(error: unknown): boolean {
  return error instanceof AppGoneError || (error instanceof AppError && error.status < 500);
}

/** How much the applier records in its next round, and how long it rests after it. */
export interface RecordingPace {
  chunk: number;
  /** 0: the next round follows at once (or after a wake-up when nothing was found). */
  pauseMs: number;
}

/**
 * The applier's pace for its next round, from the last round: the event loop's utilisation,
 * how many conversions were appended meanwhile, and how many wait. Recording steps aside only
 * when both hold: the loop was busy and conversions are arriving. A loop kept busy by recording
 * alone (a backlog after a burst) is no reason to slow down: that made a drain rest 50 ms after
 * every few entries, recording 5.6k entries/s where 8k/s went in beside full HTTP load.
 */
export function recordingPace(last: { utilization: number; appended: number; waiting: number }): RecordingPace {
  if (last.appended === 0 || last.utilization <= BUSY_UTILIZATION) return { chunk: IDLE_CHUNK, pauseMs: 0 };
  return { chunk: Math.min(IDLE_CHUNK, Math.max(MIN_CHUNK, Math.ceil((last.waiting * BUSY_PAUSE_MS) / LAG_TARGET_MS))), pauseMs: BUSY_PAUSE_MS };
}

export interface JournalOptions {
  maxPending: number;
  /** How often an idle applier looks for entries appended by other processes (PostgreSQL). */
  pollMs: number;
}

export class IngestJournal {
  /** Entries appended and not yet recorded, as this process knows them (read at start). */
  private waiting = 0;
  /** Entries appended since the applier's last round began. */
  private appended = 0;
  private utilization = performance.eventLoopUtilization();
  private loopDone: Promise<void> | null = null;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private settledWaiters: (() => void)[] = [];
  /** Failed rounds of entries whose error was neither an outage nor permanent, by seq. */
  private unexplained = new Map<number, number>();

  constructor(
    private readonly store: Pick<Store, 'readJournal' | 'failJournalEntry' | 'countJournal'>,
    private readonly submit: (op: WriteOp) => Promise<WriteOutcome>,
    /** The app an entry names (the journal keeps its id; settings are read when recorded). */
    private readonly getApp: (appId: string) => Promise<App | undefined>,
    private readonly options: JournalOptions,
    private readonly logger: Pick<Logger, 'warn' | 'error'>,
    /** Submits ops that stand or fall together (the write queue's `submitAll`). */
    private readonly submitAll: (ops: WriteOp[]) => Promise<WriteOutcome[]> = (ops) => Promise.all(ops.map(submit)),
  ) {}

  /** Entries waiting to be recorded (this process's count). */
  get pending(): number {
    return this.waiting;
  }

  /**
   * Resolves once the conversion is durable: appended to the journal, or, with the journal
   * full, recorded outright.
   */
  async acknowledge(conversion: ConversionRecord): Promise<void> {
    if (this.waiting >= this.options.maxPending) {
      await this.submit({ kind: 'conversion', conversion });
      return;
    }
    this.waiting++; // counted before the commit, so a burst cannot overshoot the bound
    try {
      await this.submit({ kind: 'journal', conversion });
    } catch (error) {
      this.waiting--;
      throw error;
    }
    this.appended++;
    this.wake();
  }

  /**
   * `acknowledge` for conversions that stand or fall together (a `/measure` batch): appended
   * in one transaction, or, with no room for all of them in the journal, recorded in one.
   */
  async acknowledgeAll(conversions: ConversionRecord[]): Promise<void> {
    const n = conversions.length;
    if (this.waiting + n > this.options.maxPending) {
      await this.submitAll(conversions.map((conversion) => ({ kind: 'conversion', conversion })));
      return;
    }
    this.waiting += n;
    try {
      await this.submitAll(conversions.map((conversion) => ({ kind: 'journal', conversion })));
    } catch (error) {
      this.waiting -= n;
      throw error;
    }
    this.appended += n;
    this.wake();
  }

  /** Starts recording entries, those left by an earlier run first. */
  async start(): Promise<void> {
    this.waiting = (await this.store.countJournal()).pending;
    this.loopDone = this.loop();
  }

  /** Stops after the round in progress; what is left stays in the journal for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loopDone;
    this.notifySettled();
  }

  /** Resolves once the journal has been found empty (tests, the benchmark). */
  settled(): Promise<void> {
    if (this.loopDone === null || this.stopped) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.settledWaiters.push(resolve));
    this.wake();
    return done;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const pace = this.nextPace();
      let entries: JournalEntry[];
      try {
        entries = await this.store.readJournal(pace.chunk);
      } catch (error) {
        this.logger.warn({ err: error }, 'ingest journal: cannot read; retrying');
        await this.pause(RETRY_MS);
        continue;
      }
      if (entries.length === 0) {
        this.waiting = 0;
        this.notifySettled();
        await this.pause(this.options.pollMs);
        continue;
      }
      const outage = await this.record(entries);
      if (outage) await this.pause(RETRY_MS);
      else if (pace.pauseMs > 0) await this.pause(pace.pauseMs, false);
    }
  }

  /** The pace for this round, from the event loop and the appends since the last one. */
  private nextPace(): RecordingPace {
    const now = performance.eventLoopUtilization();
    const since = performance.eventLoopUtilization(now, this.utilization);
    this.utilization = now;
    const appended = this.appended;
    this.appended = 0;
    return recordingPace({ utilization: since.utilization, appended, waiting: this.waiting });
  }

  /** Records entries through the group commit; true when the database was unavailable. */
  private async record(entries: JournalEntry[]): Promise<boolean> {
    const results = await Promise.allSettled(
      entries.map(async (entry) => {
        const app = await this.getApp(entry.app_id);
        if (!app) throw new AppGoneError(`app ${entry.app_id} no longer exists`);
        return this.submit({ kind: 'conversion', conversion: entryConversion(entry, app), journalSeq: entry.seq });
      }),
    );
    let outage = false;
    let recorded = 0;
    for (const [i, result] of results.entries()) {
      const entry = entries[i]!;
      if (result.status === 'fulfilled') {
        this.unexplained.delete(entry.seq);
        recorded++;
        continue;
      }
      const error = result.reason as unknown;
      // An outage (disk full, database gone, queue full): the entry waits for the next try.
      if (isTransientDatabaseError(error) || error instanceof WriteQueueFullError || error instanceof WriteQueueClosedError) {
        outage = true;
        continue;
      }
      const failures = (this.unexplained.get(entry.seq) ?? 0) + 1;
      if (!isPermanent(error) && failures < MAX_UNEXPLAINED_FAILURES) {
        this.unexplained.set(entry.seq, failures);
        this.logger.warn({ err: error, seq: entry.seq, app_id: entry.app_id, failures }, 'ingest journal: entry not recorded; retrying');
        outage = true;
        continue;
      }
      // This entry would fail every time. It is set aside, with its error (`s2s journal replay`).
      this.logger.error({ err: error, seq: entry.seq, app_id: entry.app_id }, 'ingest journal: entry cannot be recorded; set aside');
      try {
        await this.store.failJournalEntry(entry.seq, error instanceof Error ? error.message : String(error), Date.now());
        this.unexplained.delete(entry.seq);
        recorded++;
      } catch {
        outage = true;
      }
    }
    this.waiting = Math.max(0, this.waiting - recorded);
    return outage;
  }

  /** Waits `ms`, or less when woken (a new append, a stop) if `wakeable`. */
  private pause(ms: number, wakeable = true): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (wakeable) this.wakeUp = done;
    });
  }

  private wake(): void {
    const wake = this.wakeUp;
    this.wakeUp = null;
    wake?.();
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The conversion a journal entry holds, with its app as it is now. */
function entryConversion(entry: JournalEntry, app: App): ConversionRecord {
  return { ...(JSON.parse(entry.record) as Omit<ConversionRecord, 'app'>), app };
}

export interface ReplayReport {
  /** Set-aside entries put back to be recorded. */
  replayed: number;
  /** Of those, recorded now (here, or by a server's applier that took them first). */
  recorded: number;
  /** Of those, set aside again with their error. */
  failed: number;
  /** The first entry that failed again, and why. */
  firstFailure?: { seq: number; error: string } | undefined;
}

/**
 * `s2s journal replay`: records the entries set aside as failed, each in the transaction that
 * takes it from the journal (exactly once, also beside a running server's applier). One that
 * fails again is set aside again with its new error; an outage stops the replay (the entry in
 * hand waits in the journal, recorded by the applier or the next replay).
 */
export async function replaySetAside(store: Store, context: BatchContext, getApp: (appId: string) => Promise<App | undefined>): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, recorded: 0, failed: 0 };
  for (let after = 0; ; ) {
    const entries = await store.listFailedJournal(after, IDLE_CHUNK);
    if (entries.length === 0) return report;
    for (const entry of entries) {
      after = entry.seq;
      if (!(await store.requeueJournalEntry(entry.seq))) continue; // another replay took it
      report.replayed++;
      try {
        const app = await getApp(entry.app_id);
        if (!app) throw new AppGoneError(`app ${entry.app_id} no longer exists`);
        await applyBatch(store, [{ kind: 'conversion', conversion: entryConversion(entry, app), journalSeq: entry.seq }], context);
        report.recorded++;
      } catch (error) {
        if (isTransientDatabaseError(error)) throw error;
        const message = error instanceof Error ? error.message : String(error);
        await store.failJournalEntry(entry.seq, message, Date.now());
        report.failed++;
        report.firstFailure ??= { seq: entry.seq, error: message };
      }
    }
  }
}

/**
 * Group commit. Requests hand their validated records to the queue and wait; the queue commits
 * everything that arrived within `batchDelayMs` (or `maxBatch` records, whichever comes first)
 * in one transaction, then answers every waiting request. A request is answered only after its
 * record is committed, yet a burst of a thousand requests costs a handful of commits.
 *
 * While a commit runs, new records queue up and go in the very next batch, so under load the
 * batch size grows by itself and idle latency stays at one short delay.
 */

export class WriteQueueFullError extends Error {
  constructor() {
    super('write queue is full');
  }
}

export class WriteQueueClosedError extends Error {
  constructor() {
    super('server is shutting down');
  }
}

export interface WriteQueueOptions {
  /** How long the first record of a batch waits for companions; 0 means "this event-loop turn". */
  batchDelayMs: number;
  maxBatch: number;
  /** Records allowed to wait at once; past it `submit` refuses at once (back-pressure). */
  maxQueue: number;
  /** Batches committing at once: 1 for SQLite's single writer, a few for a PostgreSQL pool. */
  concurrency: number;
  /** Called after each commit attempt, for metrics. */
  onCommit?: (size: number, durationMs: number, ok: boolean) => void;
  /**
   * Whether a failed commit was an outage (disk full, database gone: `isTransientDatabaseError`)
   * rather than a bad record. An outage fails the whole batch at once, since committing each
   * record alone would fail the same way, and sets `outage` until a commit succeeds.
   */
  isOutage?: (error: unknown) => boolean;
}

/** The last commit failed with an outage, and none has succeeded since. */
export interface WriteOutage {
  error: unknown;
  /** Epoch ms of the latest failure. */
  at: number;
}

/** One request's records: a single record, or a batch that is admitted and committed whole. */
interface Pending<Op, Out> {
  ops: Op[];
  /** Called with the batch's outcomes and where this request's begin. */
  resolve: (outs: Out[], start: number) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue<Op, Out> {
  private queue: Pending<Op, Out>[] = [];
  /** Records in `queue`. */
  private queued = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private lastOutage: WriteOutage | undefined;

  constructor(
    /** Commits the ops in one transaction, all or nothing; outcomes line up with ops. */
    private readonly apply: (ops: Op[]) => Promise<Out[]>,
    private readonly options: WriteQueueOptions,
  ) {}

  /** Records waiting for a commit (not those being committed now). */
  get depth(): number {
    return this.queued;
  }

  /** Set while writes fail with an outage: the last commit did, and none has succeeded since. */
  get outage(): WriteOutage | undefined {
    return this.lastOutage;
  }

  /** Queues one record; resolves with its outcome once committed, rejects if it could not be. */
  submit(op: Op): Promise<Out> {
    return new Promise<Out>((resolve, reject) => this.enqueue({ ops: [op], resolve: (outs, start) => resolve(outs[start] as Out), reject }));
  }

  /**
   * Queues records that stand or fall together (a `/measure` batch): admitted whole or refused
   * whole, committed in one transaction, all stored or none.
   */
  submitAll(ops: Op[]): Promise<Out[]> {
    if (ops.length === 0) return Promise.resolve([]);
    return new Promise<Out[]>((resolve, reject) =>
      this.enqueue({ ops, resolve: (outs, start) => resolve(start === 0 && outs.length === ops.length ? outs : outs.slice(start, start + ops.length)), reject }),
    );
  }

  private enqueue(pending: Pending<Op, Out>): void {
    if (this.closed) return pending.reject(new WriteQueueClosedError());
    // A group larger than the whole queue still goes in when nothing waits, or it never could.
    if (this.queued > 0 && this.queued + pending.ops.length > this.options.maxQueue) return pending.reject(new WriteQueueFullError());
    this.queue.push(pending);
    this.queued += pending.ops.length;
    this.schedule();
  }

  /** Resolves once everything queued so far has been committed or refused. */
  flush(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return Promise.resolve();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (this.timer !== null) {
      this.cancelTimer();
      this.drain();
    }
    return idle;
  }

  /** Refuses new records and waits for the queued ones to commit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    if (this.inFlight >= this.options.concurrency) return; // the running commit drains on completion
    if (this.queued >= this.options.maxBatch) {
      this.cancelTimer();
      this.drain();
      return;
    }
    if (this.timer !== null) return;
    const fire = (): void => {
      this.timer = null;
      this.drain();
    };
    this.timer = this.options.batchDelayMs === 0 ? setImmediate(fire) : setTimeout(fire, this.options.batchDelayMs);
  }

  private cancelTimer(): void {
    if (this.timer === null) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = null;
  }

  private drain(): void {
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        // Records that arrived during the commit have waited long enough: go now.
        if (this.queue.length > 0) this.drain();
        else if (this.inFlight === 0) this.notifyIdle();
      });
    }
  }

  /** The next batch: requests in arrival order up to `maxBatch` records, a group never split. */
  private take(): Pending<Op, Out>[] {
    let records = 0;
    let end = 0;
    while (end < this.queue.length && (end === 0 || records + this.queue[end]!.ops.length <= this.options.maxBatch)) {
      records += this.queue[end]!.ops.length;
      end++;
    }
    this.queued -= records;
    return this.queue.splice(0, end);
  }

  private async commit(batch: Pending<Op, Out>[]): Promise<void> {
    const started = performance.now();
    const ops = batch.length === 1 ? batch[0]!.ops : batch.flatMap((p) => p.ops);
    try {
      const outcomes = await this.apply(ops);
      this.lastOutage = undefined;
      this.options.onCommit?.(ops.length, performance.now() - started, true);
      let start = 0;
      for (const pending of batch) {
        pending.resolve(outcomes, start);
        start += pending.ops.length;
      }
      return;
    } catch (error) {
      this.options.onCommit?.(ops.length, performance.now() - started, false);
      if (this.noteOutage(error) || batch.length === 1) {
        for (const pending of batch) pending.reject(error);
        return;
      }
    }
    // The batch rolled back as a whole. Commit each request alone so that one bad record fails
    // only its own request; records are idempotent by id, so a commit whose outcome was lost
    // (a dropped connection during COMMIT) cannot store anything twice.
    for (const [i, pending] of batch.entries()) {
      try {
        const outcomes = await this.apply(pending.ops);
        this.lastOutage = undefined;
        pending.resolve(outcomes, 0);
      } catch (error) {
        pending.reject(error);
        if (this.noteOutage(error)) {
          for (const rest of batch.slice(i + 1)) rest.reject(error);
          return;
        }
      }
    }
  }

  /** Remembers an outage; true when `error` is one. */
  private noteOutage(error: unknown): boolean {
    if (!this.options.isOutage?.(error)) return false;
    this.lastOutage = { error, at: Date.now() };
    return true;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

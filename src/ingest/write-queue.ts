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
}

interface Pending<Op, Out> {
  op: Op;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

export class WriteQueue<Op, Out> {
  private queue: Pending<Op, Out>[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    /** Commits the ops in one transaction, all or nothing; outcomes line up with ops. */
    private readonly apply: (ops: Op[]) => Promise<Out[]>,
    private readonly options: WriteQueueOptions,
  ) {}

  /** Records waiting for a commit, including those being committed now. */
  get depth(): number {
    return this.queue.length;
  }

  /** Queues one record; resolves with its outcome once committed, rejects if it could not be. */
  submit(op: Op): Promise<Out> {
    if (this.closed) return Promise.reject(new WriteQueueClosedError());
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new WriteQueueFullError());
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      this.schedule();
    });
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
    if (this.queue.length >= this.options.maxBatch) {
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
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      void this.commit(batch).finally(() => {
        this.inFlight--;
        // Records that arrived during the commit have waited long enough: go now.
        if (this.queue.length > 0) this.drain();
        else if (this.inFlight === 0) this.notifyIdle();
      });
    }
  }

  private async commit(batch: Pending<Op, Out>[]): Promise<void> {
    const started = performance.now();
    try {
      const outcomes = await this.apply(batch.map((p) => p.op));
      this.options.onCommit?.(batch.length, performance.now() - started, true);
      batch.forEach((p, i) => p.resolve(outcomes[i] as Out));
      return;
    } catch (error) {
      this.options.onCommit?.(batch.length, performance.now() - started, false);
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
    }
    // The batch rolled back as a whole. Commit each record alone so that one bad record fails
    // only its own request; records are idempotent by id, so a commit whose outcome was lost
    // (a dropped connection during COMMIT) cannot store anything twice.
    for (const pending of batch) {
      try {
        const [outcome] = await this.apply([pending.op]);
        pending.resolve(outcome as Out);
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

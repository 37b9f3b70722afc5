import fs from 'node:fs/promises';

/**
 * Makes committed transactions durable without stopping the event loop.
 *
 * better-sqlite3 runs on the calling thread, so with `synchronous = FULL` every commit waits
 * for fsync with the whole server stopped (a fifth of the time of an ingest benchmark). Ingest
 * transactions therefore commit with `synchronous = NORMAL` (the WAL frames are written, not
 * flushed) and then wait here for an fdatasync of the WAL on libuv's thread pool before anyone
 * is answered. The next batch runs meanwhile. An fsync flushes the whole file, so one that
 * starts after a commit covers it: callers arriving while one is running share the next.
 */
export class WalSync {
  private handle: fs.FileHandle | null = null;
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly walFile: string,
    /** How the WAL reaches the disk; a test can stand in for it. */
    private readonly flush: (handle: fs.FileHandle) => Promise<void> = (handle) => handle.datasync(),
  ) {}

  /** Resolves once everything committed before the call is on disk. */
  sync(): Promise<void> {
    if (this.next) return this.next;
    if (!this.running) return this.start();
    const after = this.running.catch(() => {});
    this.next = after.then(() => {
      this.next = null;
      return this.start();
    });
    return this.next;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.running, this.next]);
    await this.handle?.close();
    this.handle = null;
  }

  private start(): Promise<void> {
    const run = (async () => {
      if (this.closed) throw new Error('database: closed');
      // Opened on first use: SQLite creates the WAL with the first write. The file stays (same
      // inode) while this process holds the database open, whatever checkpoints do to it.
      if (!this.handle) {
        try {
          this.handle = await fs.open(this.walFile, 'r');
        } catch (error) {
          // No WAL yet: nothing has been written through it, so there is nothing to flush.
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
      }
      await this.flush(this.handle);
    })();
    const tracked: Promise<void> = run.finally(() => {
      if (this.running === tracked) this.running = null;
    });
    this.running = tracked;
    return tracked;
  }
}

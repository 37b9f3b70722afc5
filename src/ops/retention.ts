/**
 * Retention of personal data: IP addresses and user agents are kept `S2S_RETAIN_IP_DAYS` (30 by
 * default). Attribution needs them for days: probabilistic matching reads the IPs of the week
 * before an install, and the fraud rules those of the day before. After that they are removed
 * from clicks, views, events and installs, by a daily job that every server process runs and
 * only one at a time runs (a lease in `job_runs`), and by `s2s prune`. Everything else stays,
 * so reports do not change.
 */
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import type { MaintenanceStore } from '../storage/store.js';

export const RETENTION_JOB = 'strip-network-data';
const DAY_MS = 86_400_000;
/** How often a process asks whether the job is due; the lease makes it run about once a day. */
const CHECK_MS = 60 * 60_000;
const LEASE_MS = DAY_MS - CHECK_MS;
/** Rows that arrive late (a sender's older time) are caught by going back a week past the last run. */
const OVERLAP_MS = 7 * DAY_MS;

/** The time before which IPs and user agents go. */
export function retentionCutoff(now: number, retainIpDays: number): number {
  return now - retainIpDays * DAY_MS;
}

/** Runs the job if it is this process's turn; returns the rows stripped, or undefined when it was not. */
export async function runRetention(store: Pick<MaintenanceStore, 'claimJob' | 'finishJob' | 'releaseJob' | 'stripNetworkData'>, now: number, retainIpDays: number) {
  const doneUntil = await store.claimJob(RETENTION_JOB, now, LEASE_MS);
  if (doneUntil === undefined) return undefined;
  const cutoff = retentionCutoff(now, retainIpDays);
  try {
    const stripped = await store.stripNetworkData(cutoff, Math.max(0, doneUntil - OVERLAP_MS));
    await store.finishJob(RETENTION_JOB, cutoff);
    return stripped;
  } catch (error) {
    // Not done: the next hourly check, here or in another process, runs it again.
    await store.releaseJob(RETENTION_JOB).catch(() => {});
    throw error;
  }
}

/** Starts the daily job in this process; returns what stops it. */
export function startRetention(store: Pick<MaintenanceStore, 'claimJob' | 'finishJob' | 'releaseJob' | 'stripNetworkData'>, retainIpDays: number, logger: Logger, clock: Clock = Date.now): () => void {
  let running = false;
  const tick = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const stripped = await runRetention(store, clock(), retainIpDays);
      if (stripped) logger.info({ retain_ip_days: retainIpDays, stripped }, 'retention: removed IP addresses and user agents older than the horizon');
    } catch (error) {
      logger.error({ err: error }, 'retention: could not remove old IP addresses and user agents; the next check tries again');
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), CHECK_MS).unref();
  return () => clearInterval(timer);
}

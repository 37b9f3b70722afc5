import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { startRetention } from './ops/retention.js';
import { describeDatabase, openStore } from './storage/db.js';

/** How long a crashed worker waits before it is replaced, so a crash loop cannot spin. */
const RESTART_DELAY_MS = 1000;
/** How often each process makes sure the coming months' partitions exist (PostgreSQL). */
const PARTITION_CHECK_MS = 6 * 3_600_000;

/**
 * Serves until SIGTERM or SIGINT. With one worker this process serves; with more (PostgreSQL
 * only) it migrates once, then forks the workers, which share the port (node:cluster) and
 * nothing else: each has its own pool, caches and dispatcher, and the database decides every
 * race (unique indexes, upserts, SKIP LOCKED), exactly as between separate hosts.
 */
export async function runServer(config: Config): Promise<void> {
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(config);
  return runWorker(config);
}

/**
 * A promise nobody awaited that rejects (a fire-and-forget timer's work) is a bug to log, not
 * a reason to stop serving every other request: Node would exit 1 on it by default.
 */
function keepServingOnUnhandledRejection(logger: Logger): void {
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug): logged, still serving');
  });
}

async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  keepServingOnUnhandledRejection(logger);
  const store = openStore(config);
  const migration = await store.migrate();
  await store.close();
  logger.info({ database: describeDatabase(config), ...migration, workers: config.workers }, 'database ready; starting workers');

  let stopping = false;
  for (let i = 0; i < config.workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('stopped cleanly');
        process.exit(0);
      }
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(() => {
      if (!stopping) cluster.fork();
    }, RESTART_DELAY_MS);
  });

  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: asking every worker to finish');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * Opens and migrates the database, serves, and on a signal stops accepting, lets in-flight
 * requests finish, flushes queued writes, closes the database and exits 0.
 */
async function runWorker(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  keepServingOnUnhandledRejection(logger);
  const store = openStore(config);
  const migration = await store.migrate();
  if (cluster.isPrimary) {
    logger.info({ database: describeDatabase(config), ...migration }, 'database ready');
  }

  const ensurePartitions = async (): Promise<void> => {
    try {
      const created = await store.ensurePartitions(Date.now());
      if (created.length > 0) logger.info({ partitions: created }, 'created monthly partitions');
    } catch (error) {
      logger.error({ err: error }, 'could not create the coming months\' partitions; rows will land in the default partition');
    }
  };
  await ensurePartitions();
  const partitionTimer = setInterval(() => void ensurePartitions(), PARTITION_CHECK_MS).unref();

  const { app } = await buildApp(config, { store, logger });
  const stopRetention = startRetention(store, config.retainIpDays, logger);
  app.addHook('onClose', async () => {
    clearInterval(partitionTimer);
    stopRetention();
  });
  await app.listen({ port: config.port, host: config.host });

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: finishing in-flight requests');
    try {
      await app.close();
      logger.info('stopping: requests finished and queued writes committed; closing the database');
      await store.close();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary is gone (kill -9) finishes what it has and leaves.
  if (cluster.isWorker) process.once('disconnect', () => void stop('primary gone'));
}

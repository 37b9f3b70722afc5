import type { Config } from './config.js';
import { buildApp } from './app.js';
import { createLogger } from './logger.js';
import { describeDatabase, openStore } from './storage/db.js';

/**
 * Opens and migrates the database, serves until SIGTERM or SIGINT, then stops accepting,
 * lets in-flight requests finish, flushes queued writes, closes the database and exits 0.
 */
export async function runServer(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = openStore(config);
  const migration = await store.migrate();
  logger.info({ database: describeDatabase(config), ...migration }, 'database ready');

  const { app } = await buildApp(config, { store, logger });
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
}

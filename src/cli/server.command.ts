import type { Command } from 'commander';
import { loadConfig, parsePort } from '../config.js';
import { describeDatabase } from '../storage/db.js';
import { action, withStore } from './context.js';
import { printRecord } from './output.js';

export function registerServerCommands(program: Command): void {
  program
    .command('serve')
    .description('serve HTTP (migrates the database first)')
    .option('--port <port>', 'port to listen on (env PORT, default 8080)', parsePort)
    .option('--host <host>', 'address to bind (env HOST, default 0.0.0.0)')
    .option('--trust-proxy <cidrs>', 'proxies whose X-Forwarded-For counts, e.g. 10.0.0.0/8 (env S2S_TRUST_PROXY)')
    .action(
      action(async (opts: { port?: number; host?: string; trustProxy?: string }) => {
        const config = loadConfig(process.env, { port: opts.port, host: opts.host, trustProxy: opts.trustProxy });
        // Loaded on demand: the HTTP stack is not needed by the other commands' quick runs.
        const { runServer } = await import('../main.js');
        await runServer(config);
      }),
    );

  program
    .command('migrate')
    .description('create the database if needed and apply pending migrations')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const report = await withStore(async (store, config) => ({
          database: describeDatabase(config),
          dialect: store.dialect,
          ...(await store.migrate()),
        }), { migrate: false });
        printRecord(Boolean(opts.json), report);
      }),
    );
}

import type { Command } from 'commander';
import { loadConfig, parsePort, parseWorkers } from '../config.js';
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
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (env S2S_TLS_CERT)')
    .option('--tls-key <file>', 'and this PEM private key (env S2S_TLS_KEY)')
    .option('--workers <n>', 'server processes sharing the port (env S2S_WORKERS; default: the cores on PostgreSQL, 1 on SQLite)', parseWorkers)
    .action(
      action(async (opts: { port?: number; host?: string; trustProxy?: string; tlsCert?: string; tlsKey?: string; workers?: number }) => {
        const config = loadConfig(process.env, {
          port: opts.port,
          host: opts.host,
          trustProxy: opts.trustProxy,
          tlsCertFile: opts.tlsCert,
          tlsKeyFile: opts.tlsKey,
          workers: opts.workers,
        });
        // Loaded on demand: the HTTP stack is not needed by the other commands' quick runs.
        const { runServer } = await import('../main.js');
        await runServer(config);
      }),
    );

  program
    .command('migrate')
    .description('create the database if needed and apply pending migrations (the only command besides serve that creates one)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const report = await withStore(async (store, config) => ({
          database: describeDatabase(config),
          dialect: store.dialect,
          ...(await store.migrate()),
        }), { create: true });
        printRecord(Boolean(opts.json), report);
      }),
    );
}

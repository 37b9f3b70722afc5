import type { Command } from 'commander';
import { createApp } from '../admin/operations.js';
import type { App } from '../domain/apps.js';
import { action, withStore } from './context.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<App>[] = [
  { header: 'app_id', value: (a) => a.app_id },
  { header: 'name', value: (a) => a.name },
  { header: 'platform', value: (a) => a.platform },
  { header: 'store', value: (a) => a.store },
  { header: 'app_signature', value: (a) => a.app_signature },
  { header: 'created_at', value: (a) => a.created_at },
];

export function registerAppsCommand(program: Command): void {
  const apps = program.command('apps').description('create and list apps');

  apps
    .command('create')
    .description('register an app; prints its app_id and app_signature')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--platform <platform>', 'ios | android | amazon | pc | web')
    .option('--store <store>', 'itunes | google_play | amazon | steam | epic | gog | microsoft | itch | web | other')
    .option('--store-url <url>', 'store page the tracking link redirects to')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { name: string; platform: string; store?: string; storeUrl?: string; json?: boolean }) => {
        const app = await withStore((store) =>
          createApp(store, { name: opts.name, platform: opts.platform, store: opts.store, store_url: opts.storeUrl }),
        );
        printRecord(Boolean(opts.json), { ...app });
      }),
    );

  apps
    .command('list')
    .description('list apps')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { json?: boolean }) => {
        const list = await withStore((store) => store.listApps());
        printResult(Boolean(opts.json), { apps: list }, list, COLUMNS);
      }),
    );
}

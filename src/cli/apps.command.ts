import type { Command } from 'commander';
import { configureApp, createApp } from '../admin/operations.js';
import { badRequest } from '../errors.js';
import { parseDuration } from '../domain/windows.js';
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
    .option('--app-id <id>', 'keep an existing app id (e.g. the Chartboost app id, 24 hex)')
    .option('--app-signature <sig>', 'keep an existing app signature (40 hex)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { name: string; platform: string; store?: string; storeUrl?: string; appId?: string; appSignature?: string; json?: boolean }) => {
        const app = await withStore((store) =>
          createApp(store, {
            name: opts.name,
            platform: opts.platform,
            store: opts.store,
            store_url: opts.storeUrl,
            app_id: opts.appId,
            app_signature: opts.appSignature,
          }),
        );
        printRecord(Boolean(opts.json), { ...app });
      }),
    );

  apps
    .command('configure')
    .description('set attribution windows and fraud rules of an app ("default" resets one)')
    .requiredOption('--app <app_id>', 'the app')
    .option('--click-window <duration>', 'e.g. 7d (default), 30d; at most 90d')
    .option('--view-window <duration>', 'e.g. 24h (default); at most 30d')
    .option('--probabilistic-window <duration>', 'IP-based matching, e.g. 24h (default); at most 7d')
    .option('--min-ctit <seconds>', 'reject installs this soon after the click (default 10, 0 = off)')
    .option('--max-installs-per-ip <n>', 'reject installs beyond n per IP in 24 h ("off" by default)')
    .option('--blocked-ips <cidrs>', 'comma-separated CIDR ranges whose installs are rejected ("" clears)')
    .option('--reinstall-after <duration>', 'a user back after this long is a reinstall (default 30d)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: Record<string, string | boolean | undefined>) => {
        const settings: Record<string, unknown> = {};
        const duration = (flag: string, key: string, unit = 1): void => {
          const value = opts[flag];
          if (typeof value !== 'string') return;
          if (value === 'default') return void (settings[key] = null);
          const seconds = parseDuration(value);
          if (seconds === undefined) throw badRequest(`${key}: "${value}" is not a duration such as 7d, 24h, 90m or 30s`);
          settings[key] = unit === 1 ? seconds : Math.round(seconds / unit);
        };
        const integer = (flag: string, key: string, off?: string): void => {
          const value = opts[flag];
          if (typeof value !== 'string') return;
          if (value === 'default' || value === off) return void (settings[key] = null);
          if (!/^\d+$/.test(value)) throw badRequest(`${key}: "${value}" is not a whole number`);
          settings[key] = Number(value);
        };
        duration('clickWindow', 'click_window_s');
        duration('viewWindow', 'view_window_s');
        duration('probabilisticWindow', 'probabilistic_window_s');
        duration('reinstallAfter', 'reinstall_after_days', 86_400);
        integer('minCtit', 'min_ctit_s');
        integer('maxInstallsPerIp', 'max_installs_per_ip', 'off');
        if (typeof opts.blockedIps === 'string') settings.blocked_cidrs = opts.blockedIps.split(',').map((s) => s.trim()).filter(Boolean);
        const app = await withStore((store) => configureApp(store, String(opts.app), settings));
        printRecord(Boolean(opts.json), { ...app, settings: JSON.stringify(app.settings) }, { ...app });
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

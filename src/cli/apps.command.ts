import type { Command } from 'commander';
import { configureAliases, configureApp, createApp } from '../admin/operations.js';
import type { App } from '../domain/apps.js';
import { badRequest } from '../errors.js';
import { action, collect, withStore } from './context.js';
import { duration, onOff, orWords, RESET, resetToNull, wholeNumber } from './options.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<App>[] = [
  { header: 'app_id', value: (a) => a.app_id },
  { header: 'name', value: (a) => a.name },
  { header: 'platform', value: (a) => a.platform },
  { header: 'store', value: (a) => a.store },
  { header: 'app_signature', value: (a) => a.app_signature },
  { header: 'created_at', value: (a) => a.created_at },
];

/** `apps configure`: a value per setting given, RESET for "default" (or "off"). */
interface ConfigureOptions {
  app: string;
  clickWindow?: number | typeof RESET;
  viewWindow?: number | typeof RESET;
  probabilisticWindow?: number | typeof RESET;
  minCtit?: number | typeof RESET;
  maxInstallsPerIp?: number | typeof RESET;
  reinstallAfter?: number | typeof RESET;
  reEngagementWindow?: number | typeof RESET;
  reEngagementAttributionWindow?: number | typeof RESET;
  inactivityWindow?: number | typeof RESET;
  probabilisticReEngagement?: boolean | typeof RESET;
  appleDevelopment?: boolean | typeof RESET;
  appStoreId?: string;
  blockedIps?: string;
  adjustAppToken?: string;
  adjustEvent?: string[];
  appsflyerAppId?: string;
  json?: boolean;
}

/** `--adjust-event f0ob4r=purchase`, repeatable; `f0ob4r=` removes the mapping. */
function eventAliases(pairs: string[] | undefined): Record<string, string | null> | undefined {
  if (pairs === undefined) return undefined;
  const out: Record<string, string | null> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw badRequest(`--adjust-event: "${pair}" is not TOKEN=EVENT (e.g. f0ob4r=purchase; f0ob4r= removes it)`);
    out[pair.slice(0, at)] = pair.slice(at + 1) || null;
  }
  return out;
}

/** An app alias option: absent leaves it, `none` removes it. */
function appAlias(value: string | undefined): { app?: string | null } {
  return value === undefined ? {} : { app: value === 'none' ? null : value };
}

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
    .option('--click-window <duration>', 'e.g. 7d (default), 30d; at most 90d', orWords(duration('--click-window'), 'default'))
    .option('--view-window <duration>', 'e.g. 24h (default); at most 30d', orWords(duration('--view-window'), 'default'))
    .option('--probabilistic-window <duration>', 'IP-based matching, e.g. 24h (default); at most 7d', orWords(duration('--probabilistic-window'), 'default'))
    .option('--min-ctit <seconds>', 'reject installs this soon after the click (default 10, 0 = off)', orWords(wholeNumber('--min-ctit'), 'default'))
    .option('--max-installs-per-ip <n>', 'reject installs beyond n per IP in 24 h ("off" by default)', orWords(wholeNumber('--max-installs-per-ip'), 'default', 'off'))
    .option('--blocked-ips <cidrs>', 'comma-separated CIDR ranges whose installs are rejected ("" clears)')
    .option('--reinstall-after <duration>', 'a user back after this long is a reinstall (default 30d); whole days', orWords(duration('--reinstall-after', '30d or 365d'), 'default'))
    .option('--re-engagement-window <duration>', 'how long a retargeting click counts for a re-engagement (default 7d); at most 90d', orWords(duration('--re-engagement-window'), 'default'))
    .option('--re-engagement-attribution-window <duration>', "how long a re-engaged user's events are credited to the campaign (default 30d)", orWords(duration('--re-engagement-attribution-window'), 'default'))
    .option('--inactivity-window <duration>', 'how long a user must be away before a user-acquisition click reattributes it (default 7d; 0 = any time)', orWords(duration('--inactivity-window'), 'default'))
    .option('--probabilistic-re-engagement <on|off>', 'match re-engagements and reattributions by IP too (default off)', orWords(onOff('--probabilistic-re-engagement'), 'default'))
    .option('--app-store-id <id>', "the app's App Store id, which SKAdNetwork and AdAttributionKit postbacks name it by (app-id), e.g. 525463029; \"none\" removes it")
    .option('--apple-development <on|off>', "count AdAttributionKit postbacks signed with Apple's development keys (testing only; default off)", orWords(onOff('--apple-development'), 'default'))
    .option('--adjust-app-token <token>', 'the Adjust app token its S2S integration sends (app_token); "none" removes it')
    .option('--adjust-event <token=event>', 'an Adjust event token and the event id stored for it, e.g. f0ob4r=purchase (repeatable; f0ob4r= removes it)', collect)
    .option('--appsflyer-app-id <id>', 'the app id its AppsFlyer S2S integration posts to (/inappevent/{app_id}), e.g. id123456789; "none" removes it')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: ConfigureOptions) => {
        const reinstallAfter = resetToNull(opts.reinstallAfter);
        const settings: Record<string, unknown> = {
          click_window_s: resetToNull(opts.clickWindow),
          view_window_s: resetToNull(opts.viewWindow),
          probabilistic_window_s: resetToNull(opts.probabilisticWindow),
          min_ctit_s: resetToNull(opts.minCtit),
          max_installs_per_ip: resetToNull(opts.maxInstallsPerIp),
          reinstall_after_days: reinstallAfter == null ? reinstallAfter : Math.round(reinstallAfter / 86_400),
          re_engagement_window_s: resetToNull(opts.reEngagementWindow),
          re_engagement_attribution_window_s: resetToNull(opts.reEngagementAttributionWindow),
          inactivity_window_s: resetToNull(opts.inactivityWindow),
          re_engagement_probabilistic: resetToNull(opts.probabilisticReEngagement),
          apple_development: resetToNull(opts.appleDevelopment),
          blocked_cidrs: opts.blockedIps?.split(',').map((s) => s.trim()).filter(Boolean),
        };
        for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
        const events = eventAliases(opts.adjustEvent);
        const { app, aliases } = await withStore(async (store) => {
          const configured = await configureApp(store, opts.app, settings);
          const changes = [
            { protocol: 'adjust', ...appAlias(opts.adjustAppToken), ...(events === undefined ? {} : { events }) },
            { protocol: 'appsflyer', ...appAlias(opts.appsflyerAppId) },
            { protocol: 'apple', ...appAlias(opts.appStoreId) },
          ];
          for (const change of changes) if (Object.keys(change).length > 1) await configureAliases(store, opts.app, change);
          return { app: configured, aliases: await store.listAliases(opts.app) };
        });
        printRecord(Boolean(opts.json), { ...app, settings: JSON.stringify(app.settings), aliases: JSON.stringify(aliases) }, { ...app, aliases });
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

import type { Command } from 'commander';
import { createCampaign, listCampaigns, type CampaignWithLink } from '../admin/operations.js';
import { action, PUBLIC_URL_NOTE, requireApp, withStore } from './context.js';
import { decimal, duration } from './options.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<CampaignWithLink>[] = [
  { header: 'campaign_id', value: (c) => c.campaign_id },
  { header: 'app_id', value: (c) => c.app_id },
  { header: 'network', value: (c) => c.network },
  { header: 'name', value: (c) => c.name },
  { header: 'kind', value: (c) => c.kind },
  { header: 'cpi', value: (c) => c.cpi },
  { header: 'tracking_url', value: (c) => c.tracking_url },
];

interface CreateOptions {
  app: string;
  network: string;
  name: string;
  cpi?: number;
  kind?: string;
  clickWindow?: number;
  viewWindow?: number;
  probabilisticWindow?: number;
  reEngagementWindow?: number;
  reEngagementAttributionWindow?: number;
  json?: boolean;
}

export function registerCampaignsCommand(program: Command): void {
  const campaigns = program.command('campaigns').description('create and list campaigns');

  campaigns
    .command('create')
    .description('create a campaign; prints its campaign_id and tracking URL')
    .requiredOption('--app <app_id>', 'the app advertised')
    .requiredOption('--network <name>', 'the ad network running it, e.g. chartboost')
    .requiredOption('--name <name>', 'campaign name')
    .option('--cpi <usd>', 'cost per install in USD, for spend and ROAS', decimal('--cpi'))
    .option('--click-window <duration>', "overrides the app's click window, e.g. 30d; at most 90d", duration('--click-window'))
    .option('--view-window <duration>', "overrides the app's view window, e.g. 12h; at most 30d", duration('--view-window'))
    .option('--probabilistic-window <duration>', "overrides the app's probabilistic window; at most 7d", duration('--probabilistic-window'))
    .option('--kind <kind>', 'acquisition (default): wins new users; retargeting: re-engages users who have the app')
    .option('--re-engagement-window <duration>', "overrides the app's: how long a retargeting click counts, e.g. 7d; at most 90d", duration('--re-engagement-window'))
    .option('--re-engagement-attribution-window <duration>', "overrides the app's: how long a re-engaged user's events are credited, e.g. 30d", duration('--re-engagement-attribution-window'))
    .option('--json', 'print JSON')
    .addHelpText('after', `\n${PUBLIC_URL_NOTE}`)
    .action(
      action(async (opts: CreateOptions) => {
        const input = {
          app_id: opts.app,
          network: opts.network,
          name: opts.name,
          cpi: opts.cpi,
          click_window_s: opts.clickWindow,
          view_window_s: opts.viewWindow,
          probabilistic_window_s: opts.probabilisticWindow,
          kind: opts.kind,
          re_engagement_window_s: opts.reEngagementWindow,
          re_engagement_attribution_window_s: opts.reEngagementAttributionWindow,
        };
        const campaign = await withStore((store, config) => createCampaign(store, config.publicUrl, input));
        printRecord(Boolean(opts.json), { ...campaign });
      }),
    );

  campaigns
    .command('list')
    .description('list campaigns')
    .option('--app <app_id>', 'only this app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app?: string; json?: boolean }) => {
        const list = await withStore(async (store, config) => {
          if (opts.app !== undefined) await requireApp(store, opts.app);
          return listCampaigns(store, config.publicUrl, opts.app);
        });
        printResult(Boolean(opts.json), { campaigns: list }, list, COLUMNS);
      }),
    );
}

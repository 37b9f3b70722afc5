import type { Command } from 'commander';
import { createCampaign, listCampaigns, type CampaignWithLink } from '../admin/operations.js';
import { badRequest } from '../errors.js';
import { parseDuration } from '../domain/windows.js';
import { action, withStore } from './context.js';
import { printRecord, printResult, type Column } from './output.js';

const COLUMNS: Column<CampaignWithLink>[] = [
  { header: 'campaign_id', value: (c) => c.campaign_id },
  { header: 'app_id', value: (c) => c.app_id },
  { header: 'network', value: (c) => c.network },
  { header: 'name', value: (c) => c.name },
  { header: 'cpi', value: (c) => c.cpi },
  { header: 'tracking_url', value: (c) => c.tracking_url },
];

function parseWindow(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined) throw badRequest(`${name}: "${value}" is not a duration such as 7d, 24h, 90m or 30s`);
  return seconds;
}

function parseCpi(value: string): number {
  const cpi = Number(value);
  if (value.trim() === '' || !Number.isFinite(cpi)) throw badRequest(`cpi: must be a number, got "${value}"`);
  return cpi;
}

export function registerCampaignsCommand(program: Command): void {
  const campaigns = program.command('campaigns').description('create and list campaigns');

  campaigns
    .command('create')
    .description('create a campaign; prints its campaign_id and tracking URL')
    .requiredOption('--app <app_id>', 'the app advertised')
    .requiredOption('--network <name>', 'the ad network running it, e.g. chartboost')
    .requiredOption('--name <name>', 'campaign name')
    .option('--cpi <usd>', 'cost per install in USD, for spend and ROAS')
    .option('--click-window <duration>', "overrides the app's click window, e.g. 30d")
    .option('--view-window <duration>', "overrides the app's view window, e.g. 12h")
    .option('--probabilistic-window <duration>', "overrides the app's probabilistic window")
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; network: string; name: string; cpi?: string; clickWindow?: string; viewWindow?: string; probabilisticWindow?: string; json?: boolean }) => {
        const input = {
          app_id: opts.app,
          network: opts.network,
          name: opts.name,
          cpi: opts.cpi === undefined ? undefined : parseCpi(opts.cpi),
          click_window_s: parseWindow('click_window_s', opts.clickWindow),
          view_window_s: parseWindow('view_window_s', opts.viewWindow),
          probabilistic_window_s: parseWindow('probabilistic_window_s', opts.probabilisticWindow),
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
        const list = await withStore((store, config) => listCampaigns(store, config.publicUrl, opts.app));
        printResult(Boolean(opts.json), { campaigns: list }, list, COLUMNS);
      }),
    );
}

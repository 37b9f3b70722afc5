import type { Command } from 'commander';
import { createCampaign, listCampaigns, type CampaignWithLink } from '../admin/operations.js';
import { badRequest } from '../errors.js';
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
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; network: string; name: string; cpi?: string; json?: boolean }) => {
        const cpi = opts.cpi === undefined ? undefined : parseCpi(opts.cpi);
        const campaign = await withStore((store, config) =>
          createCampaign(store, config.publicUrl, { app_id: opts.app, network: opts.network, name: opts.name, cpi }),
        );
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

#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config.js';
import { AppError } from '../errors.js';
import { configureProgram, fail } from './context.js';
import { registerAppsCommand } from './apps.command.js';
import { registerCampaignsCommand } from './campaigns.command.js';
import { registerServerCommands } from './server.command.js';
import { registerTokensCommand } from './tokens.command.js';
import { registerImportCommand } from './import.command.js';
import { registerAudienceCommand } from './audience.command.js';
import { registerPostbacksCommand } from './postbacks.command.js';
import { registerWebhooksCommand } from './webhooks.command.js';
import { registerRatesCommand } from './rates.command.js';
import { registerReportCommand } from './report.command.js';
import { registerSegmentsCommand } from './segments.command.js';
import { registerPruneCommand } from './prune.command.js';
import { registerCostsCommand } from './costs.command.js';
import { registerSkanCommand } from './skan.command.js';
import { registerForgetCommand } from './forget.command.js';
import { registerExplainCommand } from './explain.command.js';
import { registerExportCommand } from './export.command.js';
import { registerReattributeCommand } from './reattribute.command.js';

const program = new Command('s2s')
  .description('Self-hosted S2S attribution and postback server')
  .version('0.1.0');
configureProgram(program);

registerServerCommands(program);
registerAppsCommand(program);
registerTokensCommand(program);
registerCampaignsCommand(program);
registerImportCommand(program);
registerAudienceCommand(program);
registerPostbacksCommand(program);
registerExportCommand(program);
registerWebhooksCommand(program);
registerRatesCommand(program);
registerReportCommand(program);
registerSegmentsCommand(program);
registerPruneCommand(program);
registerCostsCommand(program);
registerSkanCommand(program);
registerForgetCommand(program);
registerExplainCommand(program);
registerReattributeCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Option parsers throw AppError or ConfigError (e.g. --limit abc, --port abc); commander
  // reports its own errors itself.
  if (error instanceof AppError || error instanceof ConfigError) fail(error);
  if (error instanceof CommanderError || error instanceof InvalidArgumentError) process.exit(1);
  throw error;
}

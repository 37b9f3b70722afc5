import type { Command } from 'commander';
import { explainUser } from '../reports/explain.js';
import { action, withStore } from './context.js';

export function registerExplainCommand(program: Command): void {
  program
    .command('explain')
    .description("why a user was credited as it was: its ids, each install with every touch in its window and why it won or lost, its events and deliveries")
    .requiredOption('--app <app_id>', 'the app')
    .option('--device <id>', 'the user by a device id (IDFA, GAID, …)')
    .option('--user <user_id>', "the user by the sender's user id")
    .option('--json', 'print JSON (the explanation is printed as JSON either way, indented)')
    .action(
      action(async (opts: { app: string; device?: string; user?: string }) => {
        const explanation = await withStore((store) => explainUser(store, opts.app, { device: opts.device, user: opts.user }));
        process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
      }),
    );
}

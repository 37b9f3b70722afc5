import type { Command } from 'commander';
import { badRequest } from '../errors.js';
import type { WindowChange } from '../domain/reattribution.js';
import { reattribute, type ReattributeResult } from '../reports/reattribute.js';
import { action, withStore } from './context.js';
import { duration, formatDuration } from './options.js';
import { printResult, type Column } from './output.js';

type Row = ReattributeResult['campaigns'][number];
const COLUMNS: Column<Row>[] = [
  { header: 'campaign_id', value: (r) => r.campaign_id ?? '(organic)' },
  { header: 'name', value: (r) => r.name },
  { header: 'network', value: (r) => r.network },
  { header: 'now', value: (r) => r.now },
  { header: 'what_if', value: (r) => r.what_if },
  { header: 'delta', value: (r) => (r.delta > 0 ? `+${r.delta}` : r.delta) },
];

interface Options {
  app: string;
  from: string;
  to: string;
  clickWindow?: number;
  viewWindow?: number;
  probabilisticWindow?: number;
  dryRun?: boolean;
  apply?: boolean;
  json?: boolean;
}

export function registerReattributeCommand(program: Command): void {
  program
    .command('reattribute')
    .description("replay a range's installs under other attribution windows: installs per campaign now and what-if (docs/attribution.md)")
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--from <day>', 'first install day, YYYY-MM-DD (UTC)')
    .requiredOption('--to <day>', 'last install day, YYYY-MM-DD (UTC), included')
    .option('--click-window <duration>', 'every campaign’s click window, e.g. 3d', duration('--click-window'))
    .option('--view-window <duration>', 'every campaign’s view window, e.g. 12h', duration('--view-window'))
    .option('--probabilistic-window <duration>', 'every campaign’s probabilistic window, e.g. 6h', duration('--probabilistic-window'))
    .option('--dry-run', 'only show what would change (nothing is written)')
    .option('--apply', 'rewrite the attribution of the changed installs, in one transaction (no postback is sent again)')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: Options) => {
        if (opts.dryRun && opts.apply) throw badRequest('--apply: choose --dry-run or --apply, not both');
        if (!opts.dryRun && !opts.apply) throw badRequest('--apply: rewriting attribution needs --apply; see the change first with --dry-run');
        const windows: WindowChange = {};
        if (opts.clickWindow !== undefined) windows.click = opts.clickWindow;
        if (opts.viewWindow !== undefined) windows.view = opts.viewWindow;
        if (opts.probabilisticWindow !== undefined) windows.probabilistic = opts.probabilisticWindow;
        const result = await withStore((store) => reattribute(store, { appId: opts.app, from: opts.from, to: opts.to, windows, apply: Boolean(opts.apply) }));
        if (opts.json) {
          printResult(true, result, [], COLUMNS);
          return;
        }
        const given = Object.entries(windows).map(([name, seconds]) => `${name} window ${formatDuration(seconds)}`);
        const kept = Object.entries(result.kept).map(([why, count]) => `${count} ${why.replace(/_/g, ' ')}`);
        process.stdout.write(
          `${result.from} to ${result.to}: ${result.installs} installs replayed with ${given.join(', ')}; ${result.changed} change credit` +
            `${kept.length > 0 ? ` (kept as they are: ${kept.join(', ')})` : ''}\n\n`,
        );
        printResult(false, null, result.campaigns, COLUMNS);
        process.stdout.write(`\nrejected: ${result.rejected.now} now, ${result.rejected.what_if} what-if\n`);
        process.stdout.write(
          result.rewritten === null
            ? 'dry run: nothing was changed (--apply rewrites it)\n'
            : `rewrote ${result.rewritten} installs${result.rewritten < result.changed ? ` (${result.changed - result.rewritten} had changed meanwhile and were left)` : ''}; no postback was queued\n`,
        );
      }),
    );
}

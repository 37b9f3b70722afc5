import type { Command } from 'commander';
import { RULE_FORMS, parseSegmentRules } from '../domain/segments.js';
import { notFound } from '../errors.js';
import { createSegment, listSegments } from '../reports/segments.js';
import { action, collect, requireApp, withStore } from './context.js';
import { printRecord, printResult } from './output.js';

export function registerSegmentsCommand(program: Command): void {
  const segments = program.command('segments').description('saved groups of users, for audiences (`s2s audience export --segment ID`)');

  segments
    .command('create')
    .description(`save a segment: users matching every --rule (${RULE_FORMS})`)
    .requiredOption('--app <app_id>', 'the app')
    .requiredOption('--name <name>', 'what to call it')
    .requiredOption('--rule <rule>', 'a rule, e.g. "event=purchase" or "last_seen_days>=14"; repeat to AND them', collect)
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; name: string; rule: string[]; json?: boolean }) => {
        const segment = await withStore(async (store) => {
          await requireApp(store, opts.app);
          // A rule naming a campaign the app does not have would match no one, silently.
          const rules = parseSegmentRules(opts.rule);
          for (const rule of 'error' in rules ? [] : rules) {
            if (rule.field === 'campaign' && (await store.getCampaign(rule.value))?.app_id !== opts.app) throw notFound(`rules: unknown campaign ${rule.value} in app ${opts.app}`);
          }
          return createSegment(store, { app_id: opts.app, name: opts.name, rules: opts.rule });
        });
        printRecord(Boolean(opts.json), { ...segment, rules: segment.rules.join(' AND ') }, segment);
      }),
    );

  segments
    .command('list')
    .description('the segments of an app')
    .requiredOption('--app <app_id>', 'the app')
    .option('--json', 'print JSON')
    .action(
      action(async (opts: { app: string; json?: boolean }) => {
        const list = await withStore((store) => listSegments(store, opts.app));
        printResult(Boolean(opts.json), { segments: list }, list, [
          { header: 'segment_id', value: (s) => s.segment_id },
          { header: 'name', value: (s) => s.name },
          { header: 'rules', value: (s) => s.rules.join(' AND ') },
        ]);
      }),
    );
}

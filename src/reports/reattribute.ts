/**
 * `s2s reattribute`: a range's installs replayed under other attribution windows
 * (domain/reattribution.ts), each against the touches ingest's candidate lookup finds for it
 * now (explain.ts, storedCandidates), as installs per campaign now and what-if, and the delta.
 * With `apply`, the installs whose credit changes are rewritten in one transaction; no postback
 * is queued again, and the events already sent stay as they were sent.
 */
import type { Campaign } from '../domain/apps.js';
import { DAY_MS, parseDay } from '../domain/metrics.js';
import type { InstallCredit } from '../domain/attribution.js';
import { creditOf, countInstall, newTally, replayInstall, sameCredit, tallied, type CampaignCount, type KeptReason, type WindowChange } from '../domain/reattribution.js';
import { badRequest, notFound } from '../errors.js';
import { fraudRules } from '../ingest/conversions.js';
import type { CatalogStore, IngestStore, ReplayStore } from '../storage/store.js';
import { storedCandidates } from './explain.js';

/** Installs a page; each page's lookups run in one read transaction. */
const PAGE = 500;
/** The longest windows, as an app's (admin/schemas.ts): no lookup reaches further back (a probabilistic one 7 days). */
const MAX_WINDOW_S: Record<keyof WindowChange, number> = { click: 90 * 86_400, view: 30 * 86_400, probabilistic: 7 * 86_400 };
/** The longest range one run replays. */
export const MAX_REATTRIBUTE_DAYS = 366;

export interface ReattributeRequest {
  appId: string;
  from: string;
  to: string;
  windows: WindowChange;
  apply: boolean;
}

export interface ReattributeResult {
  app_id: string;
  from: string;
  to: string;
  /** The windows replayed with, in seconds (those not given: each campaign's own). */
  windows: WindowChange;
  installs: number;
  /** Installs whose credit the new windows change. */
  changed: number;
  /** Installs not replayed, by why (docs/attribution.md, "What-if windows"). */
  kept: Partial<Record<KeptReason, number>>;
  campaigns: (CampaignCount & { name: string | null })[];
  rejected: { now: number; what_if: number };
  /** With apply: how many installs were rewritten (fewer when some changed meanwhile); else null. */
  rewritten: number | null;
}

export async function reattribute(store: Pick<CatalogStore, 'getApp' | 'listCampaigns'> & Pick<IngestStore, 'transaction'> & ReplayStore, request: ReattributeRequest): Promise<ReattributeResult> {
  const fromDay = parseDay(request.from);
  if (fromDay === undefined) throw badRequest('from: must be a date, YYYY-MM-DD');
  const toDay = parseDay(request.to);
  if (toDay === undefined) throw badRequest('to: must be a date, YYYY-MM-DD');
  if (toDay < fromDay) throw badRequest('to: must not be before from');
  if (toDay - fromDay + 1 > MAX_REATTRIBUTE_DAYS) throw badRequest(`to: a run replays at most ${MAX_REATTRIBUTE_DAYS} days`);
  if (Object.keys(request.windows).length === 0) throw badRequest('click_window_s: give at least one window to replay with (click, view or probabilistic)');
  for (const [name, seconds] of Object.entries(request.windows) as [keyof WindowChange, number][]) {
    const max = MAX_WINDOW_S[name];
    // Worded as the schema's checks are, which the CLI turns into its units (`at most 7d`).
    if (!Number.isInteger(seconds)) throw badRequest(`${name}_window_s: must be integer`);
    if (seconds < 1) throw badRequest(`${name}_window_s: must be >= 1`);
    if (seconds > max) throw badRequest(`${name}_window_s: must be <= ${max}`);
  }
  const app = await store.getApp(request.appId);
  if (!app) throw notFound(`app_id: unknown app ${request.appId}`);
  const rules = fraudRules(app);

  const counts = newTally();
  const changes: { installId: string; from: InstallCredit; to: InstallCredit }[] = [];
  const kept: Partial<Record<KeptReason, number>> = {};
  let after: { time: number; id: string } | undefined;
  for (;;) {
    const page = await store.replayInstalls(app.app_id, fromDay * DAY_MS, (toDay + 1) * DAY_MS, after, PAGE);
    if (page.length === 0) break;
    await store.transaction(async (tx) => {
      for (const { install, deviceIds } of page) {
        const now = creditOf(install);
        const { conversion, candidates } = await storedCandidates(tx, app, install, deviceIds);
        const replayed = replayInstall(install, conversion, candidates, request.windows, rules);
        if ('kept' in replayed) {
          kept[replayed.kept] = (kept[replayed.kept] ?? 0) + 1;
          countInstall(counts, now, now);
          continue;
        }
        countInstall(counts, now, replayed);
        if (!sameCredit(now, replayed)) changes.push({ installId: install.install_id, from: now, to: replayed });
      }
    });
    const last = page.at(-1)!.install;
    after = { time: last.installed_at, id: last.install_id };
    if (page.length < PAGE) break;
  }

  const rewritten = request.apply ? await store.reattributeInstalls(changes) : null;
  const names = new Map((await store.listCampaigns(app.app_id)).map((c: Campaign) => [c.campaign_id, c.name]));
  const { campaigns, rejected } = tallied(counts);
  return {
    app_id: app.app_id,
    from: request.from,
    to: request.to,
    windows: request.windows,
    installs: counts.installs,
    changed: changes.length,
    kept,
    campaigns: campaigns.map((c) => ({ ...c, name: c.campaign_id === null ? null : (names.get(c.campaign_id) ?? null) })),
    rejected,
    rewritten,
  };
}

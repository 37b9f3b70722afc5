/**
 * Attribution windows, in seconds. Defaults follow common MMP practice and the seeds: a click
 * counts for 7 days (Chartboost asks for at least 7), a completed view for 24 hours, and an
 * IP-based (probabilistic) match for 24 hours. A retargeting campaign's click counts for a
 * re-engagement for 7 days (the re-engagement window), and the re-engaged user's events are
 * credited to it for 30 days (the re-engagement attribution window), as AppsFlyer's defaults
 * (support.appsflyer.com/hc/en-us/articles/207033786). An app sets its own; a campaign may override.
 */
export interface Windows {
  click: number;
  view: number;
  probabilistic: number;
  reEngagement: number;
  reEngagementAttribution: number;
}

export const DEFAULT_WINDOWS: Windows = {
  click: 7 * 86_400,
  view: 86_400,
  probabilistic: 86_400,
  reEngagement: 7 * 86_400,
  reEngagementAttribution: 30 * 86_400,
};

export type WindowOverrides = { [K in keyof Windows]?: number | null };

/** The windows in force for one campaign: its own, else its app's, else the defaults. */
export function resolveWindows(app: WindowOverrides, campaign: WindowOverrides = {}): Windows {
  const pick = (key: keyof Windows): number => campaign[key] ?? app[key] ?? DEFAULT_WINDOWS[key];
  return {
    click: pick('click'),
    view: pick('view'),
    probabilistic: pick('probabilistic'),
    reEngagement: pick('reEngagement'),
    reEngagementAttribution: pick('reEngagementAttribution'),
  };
}

/** Parses `7d`, `24h`, `90m`, `30s` or plain seconds into seconds; undefined if malformed. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([dhms]?)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { d: 86_400, h: 3600, m: 60, s: 1, '': 1 }[match[2] as 'd' | 'h' | 'm' | 's' | ''];
  return Number(match[1]) * unit;
}

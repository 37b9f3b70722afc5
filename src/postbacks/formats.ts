/**
 * What a postback sends, as plain functions: given a configured postback and something that
 * happened (an install, an open, a purchase, an event), the HTTP requests to queue. No I/O;
 * the outbox stores them and the dispatcher sends them.
 */
import { ChartboostClient, type AnswerRule, type OutboundRequest } from '../client/index.js';
import type { App } from '../domain/apps.js';
import type { DeviceIds } from '../domain/devices.js';
import type { EventRow, InstallRow } from '../storage/store.js';

export const POSTBACK_FORMATS = ['chartboost-v2', 'chartboost-v1', 'chartboost-pia', 'url'] as const;
export type PostbackFormat = (typeof POSTBACK_FORMATS)[number];

export interface Postback {
  postback_id: string;
  app_id: string;
  network: string;
  format: PostbackFormat;
  /** The base URL (Chartboost formats) or the URL template (url). */
  url: string;
  token: string | null;
  secret: string | null;
  app_signature: string | null;
  /** What it sends: install, open, purchase or event names; null: the format's default. */
  events: string[] | null;
  created_at: string;
}

/** What each format sends when `--events` does not narrow it (seeds 000 and 003). */
export const DEFAULT_EVENTS: Record<PostbackFormat, string[]> = {
  'chartboost-v2': ['install', 'open'],
  'chartboost-v1': ['install'],
  'chartboost-pia': ['purchase'],
  url: ['install', 'purchase'],
};

/**
 * How each format's answers are judged: Chartboost v1 install.json always answers HTTP 200 with
 * the real status in the body's `status` (seed 004); the others by the HTTP status.
 */
export const ANSWER_RULES: Record<PostbackFormat, AnswerRule> = {
  'chartboost-v2': 'http-status',
  'chartboost-v1': 'body-status',
  'chartboost-pia': 'http-status',
  url: 'http-status',
};

export const URL_MACROS = [
  'click_id',
  'completed_view_id',
  'idfa',
  'gaid',
  'uuid',
  'user_id',
  'app_id',
  'campaign_id',
  'network',
  'event_id',
  'revenue',
  'currency',
  'revenue_usd',
  'ip',
  'user_agent',
  'timestamp',
  'match_type',
  'rejected_reason',
] as const;

/** Macros in a template that this server does not know (refused when the postback is added). */
export function unknownMacros(template: string): string[] {
  const found = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!);
  return found.filter((name) => !(URL_MACROS as readonly string[]).includes(name));
}

const MACRO = /\{([a-z_]+)\}/g;
/** What stands in for a macro while the URL parser reads a template: survives parsing unchanged. */
const placeholder = (i: number): string => `s2smacro${i}x`;

/**
 * Checks a URL template (its macros known) as the URL parser reads it, and returns it
 * normalised: http or https, macros only in the path and query, never in the scheme, userinfo,
 * host, port or fragment. Returns `{ error }` with what is wrong otherwise.
 */
export function normaliseTemplate(template: string): { url: string } | { error: string } {
  const first = template.search(MACRO);
  // Where the authority ends: the macros must all come after it.
  if (first >= 0 && !/^https?:\/\/[^/?#\\{]*[/?\\]/i.test(template.slice(0, first))) {
    return { error: 'a macro may stand only in the path or query, not in the scheme, host or port' };
  }
  const names: string[] = [];
  const sample = template.replace(MACRO, (_whole, name: string) => (names.push(name), placeholder(names.length - 1)));
  let url: URL;
  try {
    url = new URL(sample);
  } catch {
    return { error: `"${template}" is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'must be an http or https URL' };
  if (url.hostname === '') return { error: 'has no host' };
  if (`${url.username}${url.password}${url.host}`.includes('s2smacro')) return { error: 'a macro may stand only in the path or query, not in the userinfo, host or port' };
  if (url.hash.includes('s2smacro')) return { error: 'a macro may stand only in the path or query, not in the fragment' };
  const normal = url.href.replace(/s2smacro(\d+)x/g, (_whole, i: string) => `{${names[Number(i)]}}`);
  if (/s2smacro/.test(normal) || (normal.match(MACRO) ?? []).length !== names.length) return { error: 'a macro must stand whole in the path or query' };
  return { url: normal };
}

/**
 * Replaces each `{macro}` with its value, encoded as one path segment (before the `?`: every
 * `.` as %2E too, so no value makes a `.` or `..` segment) or as one query value. Templates
 * are normalised when added (normaliseTemplate), so the result is sent exactly as it reads.
 */
export function expandTemplate(template: string, values: Record<string, string>): string {
  const queryAt = template.indexOf('?');
  return template.replace(MACRO, (whole, name: string, offset: number) => {
    if (!(name in values)) return whole;
    // A lone surrogate (stored before senders' strings were checked) would make encodeURIComponent throw.
    const encoded = encodeURIComponent(values[name]!.replace(/\p{Cs}/gu, '\ufffd'));
    return queryAt >= 0 && offset > queryAt ? encoded : encoded.replace(/\./g, '%2E');
  });
}

export interface TriggerContext {
  app: App;
  /** The user's install: its attribution decides who a user "belongs" to. */
  install: InstallRow | undefined;
  /** The network's own id of the credited click or view (else ours). */
  clickRef: { click_id?: string; completed_view_id?: string };
  deviceIds: DeviceIds;
  userId: string | undefined;
  ip: string | undefined;
  userAgent: string | undefined;
}

export type Trigger = { kind: 'install'; install: InstallRow } | { kind: 'event'; event: EventRow };

export interface QueuedRequest {
  /** install, open, purchase or the event's name. */
  trigger: string;
  request: OutboundRequest;
  /** What caused it: the outbox keeps one delivery per postback and cause. */
  cause: string;
}

function sameNetwork(postback: Postback, install: InstallRow | undefined): boolean {
  return install?.network != null && install.network.toLowerCase() === postback.network.toLowerCase();
}

function triggerName(trigger: Trigger): string {
  if (trigger.kind === 'install') return 'install';
  return trigger.event.kind === 'event' ? trigger.event.name : trigger.event.kind;
}

/** The requests one postback sends for one trigger (often none). */
export function buildRequests(postback: Postback, trigger: Trigger, ctx: TriggerContext): QueuedRequest[] {
  const name = triggerName(trigger);
  const wanted = postback.events ?? DEFAULT_EVENTS[postback.format];
  if (!wanted.includes(name) && !(trigger.kind === 'event' && wanted.includes(trigger.event.name))) return [];
  const cause = trigger.kind === 'install' ? `install:${trigger.install.install_id}` : `event:${trigger.event.event_pk}`;
  const request = buildRequest(postback, trigger, ctx);
  return request ? [{ trigger: name, request: { ...request, answers: ANSWER_RULES[postback.format] }, cause }] : [];
}

function buildRequest(postback: Postback, trigger: Trigger, ctx: TriggerContext): OutboundRequest | undefined {
  const { deviceIds: d, install } = ctx;
  const client = new ChartboostClient({
    baseUrl: postback.url,
    token: postback.token ?? '',
    secret: postback.secret ?? undefined,
    appSignature: postback.app_signature ?? ctx.app.app_signature,
  });
  const ours = sameNetwork(postback, install);

  switch (postback.format) {
    case 'chartboost-v2': {
      if (trigger.kind === 'install') {
        if (!ours || install === undefined) return undefined;
        // A rejected install goes to the open endpoint with its reason (seed 003).
        if (install.status === 'rejected') return openRequest(client, ctx, install);
        if (ctx.clickRef.click_id === undefined && ctx.clickRef.completed_view_id === undefined) return undefined;
        return client.attributedInstall(ctx.clickRef.click_id !== undefined ? { click_id: ctx.clickRef.click_id } : ctx.clickRef);
      }
      // Opens of every device, attributed or not: retention and negative targeting.
      return openRequest(client, ctx, install);
    }
    case 'chartboost-v1': {
      if (trigger.kind !== 'install') return undefined;
      if (d.gaid === undefined && d.idfa === undefined && d.uuid === undefined) return undefined;
      const inst = trigger.install;
      const claim = ours && inst.status === 'attributed' ? 1 : 0;
      return client.install({
        app_id: ctx.app.app_id,
        claim,
        gaid: d.gaid,
        ifa: d.idfa,
        uuid: d.uuid,
        organic: inst.status === 'organic' ? 1 : 0,
        attributed_to: claim === 0 && inst.status !== 'organic' ? (inst.network ?? undefined) : undefined,
        timestamp: Math.floor(inst.installed_at / 1000),
      });
    }
    case 'chartboost-pia': {
      if (trigger.kind !== 'event' || trigger.event.kind !== 'purchase' || !ours) return undefined;
      const e = trigger.event;
      if (Object.keys(d).length === 0 || e.revenue === null) return undefined;
      return client.track({
        app_id: ctx.app.app_id,
        ifa: d.idfa,
        gaid: d.gaid,
        fire_adid: d.fire_adid,
        uuid: d.uuid,
        iap: { product_id: e.product_id ?? e.name, price: e.revenue, currency: e.currency ?? 'USD' },
        ...ctx.clickRef,
        match_type: install?.match_type,
      });
    }
    case 'url': {
      if (!ours) return undefined;
      return { method: 'GET', url: expandTemplate(postback.url, macroValues(trigger, ctx)), headers: {} };
    }
  }
}

function openRequest(client: ChartboostClient, ctx: TriggerContext, install: InstallRow | undefined): OutboundRequest | undefined {
  const d = ctx.deviceIds;
  if (d.idfa === undefined && d.gaid === undefined && d.uuid === undefined && d.fire_adid === undefined) return undefined;
  const rejected = install?.status === 'rejected';
  return client.open({
    app_id: ctx.app.app_id,
    idfa: d.idfa,
    gaid: d.gaid,
    uuid: d.uuid,
    fire_adid: d.fire_adid,
    ...(install && install.status !== 'organic' ? ctx.clickRef : {}),
    rejected_reason: rejected ? (install.rejected_reason ?? undefined) : undefined,
    rejected_value: rejected ? (install.rejected_value ?? undefined) : undefined,
    match_type: install?.match_type,
  });
}

function macroValues(trigger: Trigger, ctx: TriggerContext): Record<string, string> {
  const install = ctx.install;
  const event = trigger.kind === 'event' ? trigger.event : undefined;
  const time = event?.occurred_at ?? install?.installed_at ?? Date.now();
  const revenue = event?.revenue ?? null;
  return {
    click_id: ctx.clickRef.click_id ?? '',
    completed_view_id: ctx.clickRef.completed_view_id ?? '',
    idfa: ctx.deviceIds.idfa ?? '',
    gaid: ctx.deviceIds.gaid ?? '',
    uuid: ctx.deviceIds.uuid ?? '',
    user_id: ctx.userId ?? '',
    app_id: ctx.app.app_id,
    campaign_id: install?.campaign_id ?? '',
    network: install?.network ?? '',
    event_id: event ? event.name : 'install',
    revenue: revenue === null ? '' : String(revenue),
    currency: event?.currency ?? '',
    revenue_usd: event?.revenue_usd == null ? '' : String(event.revenue_usd),
    ip: ctx.ip ?? '',
    user_agent: ctx.userAgent ?? '',
    timestamp: String(Math.floor(time / 1000)),
    match_type: install?.match_type ?? '',
    rejected_reason: install?.rejected_reason ?? '',
  };
}


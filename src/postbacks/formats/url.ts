/**
 * url: a GET of the network's own URL template, for installs attributed to the network and its
 * users' events; each `{macro}` filled in from the trigger (url-template.ts).
 */
import { badRequest } from '../../errors.js';
import { sameNetwork, type PostbackFormatSpec, type Trigger, type TriggerContext } from './format-spec.js';
import { expandTemplate, normaliseTemplate, unknownMacros, type UrlMacro } from './url-template.js';

const URL_REQUIRED = 'url: is required for the url format (a template such as https://n.example/pb?click={click_id})';

export const urlFormat: PostbackFormatSpec<'url'> = {
  name: 'url',
  defaultEvents: ['install', 'purchase'],
  credentials: { url: { required: URL_REQUIRED }, token: 'optional', secret: 'optional', app_signature: 'optional' },
  answers: 'http-status',
  storedUrl(template) {
    if (template === undefined) throw badRequest(URL_REQUIRED);
    const unknown = unknownMacros(template);
    if (unknown.length > 0) throw badRequest(`url: unknown macro {${unknown[0]}}`);
    const normal = normaliseTemplate(template);
    if ('error' in normal) throw badRequest(`url: ${normal.error}`);
    return normal.url;
  },
  build(postback, trigger, ctx) {
    if (!sameNetwork(postback, ctx.install)) return undefined;
    return { method: 'GET', url: expandTemplate(postback.url, macroValues(trigger, ctx)), headers: {} };
  },
};

function macroValues(trigger: Trigger, ctx: TriggerContext): Record<UrlMacro, string> {
  const install = ctx.install;
  // An engagement's postback is told of it as of an install (ctx.install is the engagement).
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
    event_id: trigger.kind === 'event' ? trigger.event.name : trigger.kind === 'engagement' ? trigger.engagement.kind : trigger.kind === 'rejection' ? 'rejection' : trigger.install.kind,
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


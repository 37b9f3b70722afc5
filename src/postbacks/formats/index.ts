/**
 * The postback formats: one list, read by the admin API's schema, the validation of a new
 * postback, the CLI's help and the outbox. Adding a format is its file and one line here
 * (docs/architecture.md, "Adding a postback format").
 */
import type { OutboundRequest } from '../../client/index.js';
import { badRequest } from '../../errors.js';
import { chartboostPia } from './chartboost-pia.js';
import { chartboostV1 } from './chartboost-v1.js';
import { chartboostV2 } from './chartboost-v2.js';
import { CREDENTIAL_FIELDS, type CredentialField, type Postback, type PostbackFormatSpec, type Trigger, type TriggerContext } from './format-spec.js';
import { urlFormat } from './url.js';
import { webhookFormat } from './webhook.js';

export type { CredentialField, Postback, PostbackFormatSpec, Requirement, SendTimeRequests, Trigger, TriggerContext } from './format-spec.js';
export { CHARTBOOST_BASE_URL } from './chartboost.js';

/** The formats a network's postback (`s2s postbacks add --format`) takes. */
export const FORMAT_SPECS = [chartboostV2, chartboostV1, chartboostPia, urlFormat] as const;

export type PostbackFormat = (typeof FORMAT_SPECS)[number]['name'];
export const POSTBACK_FORMATS: readonly PostbackFormat[] = FORMAT_SPECS.map((spec) => spec.name);

/** Every format the outbox builds: the networks' and the studio's own webhooks (`s2s webhooks`). */
const ALL_SPECS: readonly PostbackFormatSpec[] = [...FORMAT_SPECS, webhookFormat];

/** The format of that name, if it is one. */
export function postbackFormat(name: PostbackFormat | 'webhook'): PostbackFormatSpec;
export function postbackFormat(name: string): PostbackFormatSpec | undefined;
export function postbackFormat(name: string): PostbackFormatSpec | undefined {
  return ALL_SPECS.find((spec) => spec.name === name);
}

/**
 * Checks a new postback's settings against its format: a 400 naming the first required one
 * missing, or the url if it is not one the format can send to. Returns the url to store.
 */
export function checkSettings(spec: PostbackFormatSpec, settings: Partial<Record<CredentialField, string>>): string {
  for (const field of CREDENTIAL_FIELDS) {
    const requirement = spec.credentials[field];
    if (requirement !== 'optional' && settings[field] === undefined) throw badRequest(requirement.required);
  }
  return spec.storedUrl(settings.url);
}

export interface QueuedRequest {
  /** install, open, purchase or the event's name. */
  trigger: string;
  request: OutboundRequest;
  /** What caused it: the outbox keeps one delivery per postback and cause. */
  cause: string;
}

function triggerName(trigger: Trigger): string {
  if (trigger.kind === 'install') return trigger.install.kind;
  if (trigger.kind === 'engagement') return trigger.engagement.kind;
  if (trigger.kind === 'rejection') return 'rejection';
  return trigger.event.kind === 'event' ? trigger.event.name : trigger.event.kind;
}

/** What caused a delivery: the outbox keeps one per postback and cause. */
function causeOf(trigger: Trigger): string {
  if (trigger.kind === 'install') return `install:${trigger.install.install_id}`;
  if (trigger.kind === 'engagement') return `install:${trigger.engagement.install_id}`;
  if (trigger.kind === 'rejection') return `rejection:${trigger.install.install_id}`;
  return `event:${trigger.event.event_pk}`;
}

/** The requests one postback sends for one trigger (often none). */
export function buildRequests(postback: Postback, trigger: Trigger, ctx: TriggerContext): QueuedRequest[] {
  const spec = postbackFormat(postback.format);
  // A format this server does not know (a row written by hand) owes nothing: no stored value stops ingest.
  if (spec === undefined) return [];
  const name = triggerName(trigger);
  const wanted = postback.events ?? spec.defaultEvents;
  const wants = spec.wants?.(wanted, trigger) ?? (wanted.includes(name) || (trigger.kind === 'event' && wanted.includes(trigger.event.name)));
  if (!wants) return [];
  const cause = causeOf(trigger);
  const request = spec.build(postback, trigger, ctx);
  return request ? [{ trigger: name, request: { ...request, answers: spec.answers }, cause }] : [];
}

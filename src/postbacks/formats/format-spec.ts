/**
 * What a postback format is: the shape every file of this folder exports, and what its builder
 * is given. A format is plain data and plain functions, no I/O.
 */
import type { AnswerRule, OutboundRequest } from '../../client/index.js';
import type { App } from '../../domain/apps.js';
import type { DeviceIds } from '../../domain/devices.js';
import type { DeliveryRow, EventRow, InstallRow } from '../../domain/entities.js';

export interface Postback {
  postback_id: string;
  app_id: string;
  network: string;
  /** Its format's name in the registry (formats/index.ts); no other is ever stored. */
  format: string;
  /** The base URL (Chartboost formats) or the URL template (url). */
  url: string;
  token: string | null;
  secret: string | null;
  app_signature: string | null;
  /** What it sends: install, open, purchase or event names; null: the format's default. */
  events: string[] | null;
  /** Webhooks: up to how many records a request carries; null: one. */
  batch_size: number | null;
  created_at: string;
}

/** The settings a postback is added with besides its app, network, format and events. */
export const CREDENTIAL_FIELDS = ['url', 'token', 'secret', 'app_signature'] as const;
export type CredentialField = (typeof CREDENTIAL_FIELDS)[number];

/**
 * Whether a format needs a setting: required, with the 400's message (naming the field) when it
 * is missing, or optional (stored when given; a format that has no use for it ignores it).
 */
export type Requirement = { required: string } | 'optional';

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

/**
 * What a postback may be sent for: a new user's install (or reinstall), a known user's
 * re-engagement or reattribution (its `kind` names it), an install rejected later (a network's
 * rejection of its own click), or an event.
 */
export type Trigger =
  | { kind: 'install'; install: InstallRow }
  | { kind: 'engagement'; engagement: InstallRow }
  | { kind: 'rejection'; install: InstallRow; /** When the rejection came (the record's time), and when it was received. */ at: number; receivedAt: number }
  | { kind: 'event'; event: EventRow };

export interface PostbackFormatSpec<Name extends string = string> {
  /** What `--format` and the admin API's `format` take. */
  readonly name: Name;
  /** What it sends when `events` does not narrow it (seeds 000 and 003). */
  readonly defaultEvents: readonly string[];
  readonly credentials: Readonly<Record<CredentialField, Requirement>>;
  /** How its deliveries' answers are judged (stored with each delivery for the dispatcher). */
  readonly answers: AnswerRule;
  /**
   * The url as it is stored and later sent, checked and normalised when the postback is added
   * (its required settings are present by then); throws a 400 AppError naming `url`.
   */
  storedUrl(url: string | undefined): string;
  /** The request it sends for one trigger, or undefined when the trigger owes it nothing. */
  build(postback: Postback, trigger: Trigger, ctx: TriggerContext): OutboundRequest | undefined;
  /**
   * Whether a trigger is one of what the postback sends (`events`, else `defaultEvents`); when
   * not given, its name (install, re-engagement, open, purchase or the event's name) is looked for.
   */
  wants?(wanted: readonly string[], trigger: Trigger): boolean;
  /** Formats whose requests are made when sent, not when queued (webhooks). */
  readonly atSend?: SendTimeRequests;
}

/**
 * How a format's queued deliveries become a request when the dispatcher sends them: signed
 * with the time of sending (a replay is seen), and up to `batchSize` of one claim in one
 * request. Each queued delivery's body is then the format's own part (a webhook's record).
 */
export interface SendTimeRequests {
  batchSize(postback: Postback): number;
  /** The request for deliveries of this postback (at most its batch size); throws when it cannot be made. */
  request(postback: Postback, deliveries: readonly DeliveryRow[], nowMs: number): OutboundRequest;
}

/** Whether the user's install is credited to the postback's network: a user "belongs" to it. */
export function sameNetwork(postback: Postback, install: InstallRow | undefined): boolean {
  return install?.network != null && install.network.toLowerCase() === postback.network.toLowerCase();
}

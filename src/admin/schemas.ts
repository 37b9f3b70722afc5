import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ALIAS_PATTERN, ALIAS_PROTOCOLS } from '../domain/aliases.js';
import { PLATFORMS, STORES } from '../domain/apps.js';
import { CAMPAIGN_KINDS } from '../domain/attribution.js';

/** A string limited to a fixed list; Ajv names the allowed values when it fails. */
function stringEnum<T extends readonly string[]>(values: T, description: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], description });
}

export const IdString = Type.String({ pattern: '^[0-9a-f]{24}$', description: '24 lowercase hex characters' });

export const AppInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    platform: stringEnum(PLATFORMS, 'where the app runs'),
    store: Type.Optional(stringEnum(STORES, 'where the app is sold; defaults from the platform')),
    store_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'http(s) URL, parsed as browsers do (operations.ts)' })),
    app_id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{24}$', description: "keep the app's existing id (e.g. its Chartboost app id)" })),
    app_signature: Type.Optional(Type.String({ pattern: '^[0-9a-f]{40}$', description: "keep the app's existing signature (Chartboost App Settings)" })),
  },
  { additionalProperties: false },
);
export type AppInput = Static<typeof AppInput>;

export const TokenInput = Type.Object(
  {
    app_ids: Type.Array(IdString, { minItems: 1, maxItems: 1000, description: 'apps this token may write to' }),
    secret: Type.Optional(Type.Boolean({ description: 'also issue a signing secret' })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type TokenInput = Static<typeof TokenInput>;

/**
 * Window limits. Candidate lookups reach back 90 days by device and 7 days by IP
 * (storage/store.ts), so windows stay inside those.
 */
const ClickWindow = Type.Integer({ minimum: 1, maximum: 90 * 86_400, description: 'seconds; default 7 days' });
const ViewWindow = Type.Integer({ minimum: 1, maximum: 30 * 86_400, description: 'seconds; default 24 hours' });
const ProbabilisticWindow = Type.Integer({ minimum: 1, maximum: 7 * 86_400, description: 'seconds; default 24 hours' });
const ReEngagementWindow = Type.Integer({ minimum: 1, maximum: 90 * 86_400, description: 'seconds a retargeting click counts for a re-engagement; default 7 days' });
const ReEngagementAttributionWindow = Type.Integer({ minimum: 1, maximum: 365 * 86_400, description: "seconds a re-engaged user's events are credited; default 30 days" });
const InactivityWindow = Type.Integer({ minimum: 0, maximum: 365 * 86_400, description: 'seconds away before a user-acquisition click reattributes a user; default 7 days' });

export const CampaignInput = Type.Object(
  {
    app_id: IdString,
    network: Type.String({ minLength: 1, maxLength: 100 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    cpi: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, description: 'cost per install, USD' })),
    kind: Type.Optional(stringEnum(CAMPAIGN_KINDS, 'acquisition (default) wins new users; retargeting re-engages known ones')),
    click_window_s: Type.Optional(ClickWindow),
    view_window_s: Type.Optional(ViewWindow),
    probabilistic_window_s: Type.Optional(ProbabilisticWindow),
    re_engagement_window_s: Type.Optional(ReEngagementWindow),
    re_engagement_attribution_window_s: Type.Optional(ReEngagementAttributionWindow),
  },
  { additionalProperties: false },
);
export type CampaignInput = Static<typeof CampaignInput>;

/** A schema or null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** Per-app attribution windows and fraud rules; null resets a setting to its default. */
export const AppSettingsInput = Type.Object(
  {
    click_window_s: Type.Optional(Nullable(ClickWindow)),
    view_window_s: Type.Optional(Nullable(ViewWindow)),
    probabilistic_window_s: Type.Optional(Nullable(ProbabilisticWindow)),
    min_ctit_s: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 86_400, description: 'seconds; default 10, 0 turns the rule off' }))),
    max_installs_per_ip: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'per 24 h; default off' }))),
    blocked_cidrs: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 10_000 })),
    reinstall_after_days: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 3650, description: 'default 30' }))),
    re_engagement_window_s: Type.Optional(Nullable(ReEngagementWindow)),
    re_engagement_attribution_window_s: Type.Optional(Nullable(ReEngagementAttributionWindow)),
    inactivity_window_s: Type.Optional(Nullable(InactivityWindow)),
    re_engagement_probabilistic: Type.Optional(Nullable(Type.Boolean({ description: 're-engagements and reattributions may be matched by IP; default false' }))),
    apple_development: Type.Optional(Nullable(Type.Boolean({ description: "AdAttributionKit postbacks signed with Apple's development keys count (testing); default false" }))),
  },
  { additionalProperties: false },
);
export type AppSettingsInput = Static<typeof AppSettingsInput>;

const Alias = Type.String({ pattern: ALIAS_PATTERN, description: 'letters, digits, _ . -; at most 64' });

/** An app's names in another tracker's protocol (its Adjust app token and event tokens); null removes one. */
export const AliasesInput = Type.Object(
  {
    protocol: stringEnum(ALIAS_PROTOCOLS, 'the protocol whose names these are'),
    app: Type.Optional(Nullable(Alias)),
    events: Type.Optional(
      Type.Record(Type.String({ pattern: ALIAS_PATTERN }), Nullable(Type.String({ minLength: 1, maxLength: 256, description: 'the event id stored for this token' })), {
        maxProperties: 1000,
        description: 'event token → event id',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AliasesInput = Static<typeof AliasesInput>;

export const AliasesOutput = Type.Object({
  apps: Type.Record(Type.String(), Type.String(), { description: 'protocol → the app alias' }),
  events: Type.Record(Type.String(), Type.Record(Type.String(), Type.String()), { description: 'protocol → event token → event id' }),
});

const Timestamp = Type.String({ format: 'date-time' });

export const AppOutput = Type.Object({
  app_id: IdString,
  name: Type.String(),
  platform: Type.String(),
  store: Type.String(),
  store_url: Nullable(Type.String()),
  app_signature: Type.String({ description: '40 lowercase hex characters' }),
  settings: Type.Object({
    click_window_s: Nullable(Type.Integer()),
    view_window_s: Nullable(Type.Integer()),
    probabilistic_window_s: Nullable(Type.Integer()),
    min_ctit_s: Nullable(Type.Integer()),
    max_installs_per_ip: Nullable(Type.Integer()),
    blocked_cidrs: Type.Array(Type.String()),
    reinstall_after_days: Nullable(Type.Integer()),
    re_engagement_window_s: Nullable(Type.Integer()),
    re_engagement_attribution_window_s: Nullable(Type.Integer()),
    inactivity_window_s: Nullable(Type.Integer()),
    re_engagement_probabilistic: Nullable(Type.Boolean()),
    apple_development: Nullable(Type.Boolean()),
  }),
  has_retargeting: Type.Boolean({ description: 'a campaign of the app is a retargeting one' }),
  created_at: Timestamp,
});

export const TokenOutput = Type.Object({
  token_id: IdString,
  name: Nullable(Type.String()),
  token_prefix: Type.String(),
  app_ids: Type.Array(IdString),
  has_secret: Type.Boolean(),
  created_at: Timestamp,
  revoked_at: Nullable(Timestamp),
});

export const IssuedTokenOutput = Type.Object({
  token_id: IdString,
  token: Type.String({ description: 'shown once; only its hash is stored' }),
  secret: Nullable(Type.String({ description: 'signing secret, shown once here' })),
  name: Nullable(Type.String()),
  app_ids: Type.Array(IdString),
  created_at: Timestamp,
});

export const CampaignOutput = Type.Object({
  campaign_id: IdString,
  app_id: IdString,
  network: Type.String(),
  name: Type.String(),
  cpi: Nullable(Type.Number()),
  kind: Type.String({ description: 'acquisition | retargeting' }),
  click_window_s: Nullable(Type.Integer()),
  view_window_s: Nullable(Type.Integer()),
  probabilistic_window_s: Nullable(Type.Integer()),
  re_engagement_window_s: Nullable(Type.Integer()),
  re_engagement_attribution_window_s: Nullable(Type.Integer()),
  tracking_url: Type.String(),
  created_at: Timestamp,
});

export const ErrorOutput = Type.Object({ status: Type.Integer(), message: Type.String() });

/** What every admin route declares: the admin token, and its error answers. */
export const ADMIN_SECURITY = [{ adminToken: [] }];
export const ADMIN_ERRORS = { 400: ErrorOutput, 401: ErrorOutput, 404: ErrorOutput };

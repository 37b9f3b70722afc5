/**
 * The names another tracker's integration already uses for an app and its events (migration
 * 0014): a studio moving its server-to-server traffic here keeps its Adjust app token and event
 * tokens, or the AppsFlyer app id in its `/inappevent/{app_id}` URLs. Each protocol listed reads
 * its own aliases. `apple`: the app's App Store id, which Apple's postbacks name it by
 * (`app-id`, `advertised-item-identifier`).
 */
export const ALIAS_PROTOCOLS = ['adjust', 'appsflyer', 'apple'] as const;
export type AliasProtocol = (typeof ALIAS_PROTOCOLS)[number];

/** Protocols whose events are named by tokens that map to event ids (Adjust's `event_token`); AppsFlyer's events carry their names. */
export const EVENT_ALIAS_PROTOCOLS: readonly AliasProtocol[] = ['adjust'];

/**
 * An app or event alias: Adjust's are 12 and 6 lowercase letters and digits (`4w565xzmb54d`,
 * `f0ob4r`); AppsFlyer's app ids are `id123456789` (iOS) or the package name (`com.example.game`).
 */
export const ALIAS_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

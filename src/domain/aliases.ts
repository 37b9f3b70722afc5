/**
 * The names another tracker's integration already uses for an app and its events (migration
 * 0014): a studio moving its server-to-server traffic here keeps its Adjust app token and event
 * tokens. Each protocol listed reads its own aliases.
 */
export const ALIAS_PROTOCOLS = ['adjust'] as const;
export type AliasProtocol = (typeof ALIAS_PROTOCOLS)[number];

/** An app or event alias: Adjust's are 12 and 6 lowercase letters and digits (`4w565xzmb54d`, `f0ob4r`). */
export const ALIAS_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

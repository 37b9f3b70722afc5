/** Device identifiers: one canonical form so that the same device always compares equal. */

export const DEVICE_ID_KINDS = ['idfa', 'gaid', 'uuid', 'fire_adid'] as const;
export type DeviceIdKind = (typeof DEVICE_ID_KINDS)[number];
export type DeviceIds = Partial<Record<DeviceIdKind, string>>;

/**
 * Identities a user is known by within an app: its device ids, the sender's user id, for an
 * install known only by its click (Chartboost's attributed_install) that click's id, and ids
 * that name a device but match no click: the vendor id (`idfv`), the Android id, the OAID, a
 * web id, Adjust's own device id (`adjust_adid`), which Adjust's S2S API carries, and
 * AppsFlyer's (`appsflyer_id`), which its S2S events API carries.
 */
export const IDENTITY_KINDS = [...DEVICE_ID_KINDS, 'user_id', 'click_id', 'idfv', 'android_id', 'oaid', 'web_uuid', 'adjust_adid', 'appsflyer_id'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];
export type Identity = { kind: IdentityKind; value: string };

const ZEROES = /^[0-]+$/;

/**
 * Lowercases and trims a device id; blank and all-zero ids (what iOS sends when tracking is
 * limited, `00000000-0000-0000-0000-000000000000`) are no id at all.
 */
export function normalizeDeviceId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim().toLowerCase();
  if (value === '' || ZEROES.test(value)) return undefined;
  return value;
}

/** Picks and normalises the device ids present in a set of parameters (`ifa` is Chartboost v3's name for the IDFA). */
export function deviceIdsFrom(params: Record<string, unknown>): DeviceIds {
  const ids: DeviceIds = {};
  for (const kind of DEVICE_ID_KINDS) {
    const value = normalizeDeviceId(params[kind] ?? (kind === 'idfa' ? params.ifa : undefined));
    if (value !== undefined) ids[kind] = value;
  }
  return ids;
}

/** The identities a conversion names, device ids first. User ids are kept as sent (case matters to senders). */
export function identitiesOf(deviceIds: DeviceIds, userId: string | undefined): Identity[] {
  const out: Identity[] = [];
  for (const kind of DEVICE_ID_KINDS) {
    const value = deviceIds[kind];
    if (value !== undefined) out.push({ kind, value });
  }
  if (userId !== undefined && userId !== '') out.push({ kind: 'user_id', value: userId });
  return out;
}

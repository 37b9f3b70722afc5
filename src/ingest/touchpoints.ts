import type { Campaign } from '../domain/apps.js';
import type { Touchpoint } from '../domain/entities.js';
import { optionalString, readDeviceIds, type Params } from './normalise.js';

const PUBLISHER_FIELDS = ['site_id', 'publisher', 'creative', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5'] as const;

/** What the caller has resolved about a click or view; everything else is read from its fields. */
export interface TouchpointBasis {
  touchpointId: string;
  kind: 'click' | 'view';
  appId: string;
  /** The campaign it credits; none for Swaarm's campaignless web-flow click. */
  campaign: Pick<Campaign, 'campaign_id' | 'network'> | null;
  time: number;
  ip: string | null;
  userAgent: string | null;
  /** The network's own id for this click or view, sent back to it in postbacks. */
  networkClickId: string | null;
}

/**
 * The one place a touchpoint is built, for `/click`, `/view` and import lines alike: device ids,
 * platform, storefront and publisher fields are read from `fields` by the same normalisers.
 */
export function buildTouchpoint(basis: TouchpointBasis, fields: Params): Touchpoint {
  const devices = readDeviceIds(fields);
  const publisher = Object.fromEntries(PUBLISHER_FIELDS.map((f) => [f, optionalString(fields, f) ?? null])) as Record<(typeof PUBLISHER_FIELDS)[number], string | null>;
  return {
    touchpoint_id: basis.touchpointId,
    kind: basis.kind,
    app_id: basis.appId,
    campaign_id: basis.campaign?.campaign_id ?? null,
    network: basis.campaign?.network ?? null,
    created_at: basis.time,
    ip: basis.ip,
    user_agent: basis.userAgent,
    platform: optionalString(fields, 'platform', { max: 32 })?.toLowerCase() ?? null,
    storefront: optionalString(fields, 'storefront', { max: 32 })?.toLowerCase() ?? null,
    network_click_id: basis.networkClickId,
    idfa: devices.idfa ?? null,
    gaid: devices.gaid ?? null,
    uuid: devices.uuid ?? null,
    fire_adid: devices.fire_adid ?? null,
    ...publisher,
  };
}

import { newId } from '../../src/domain/ids.js';
import type { Touchpoint } from '../../src/domain/entities.js';
import type { TouchCandidate } from '../../src/domain/attribution.js';
import { DEFAULT_WINDOWS } from '../../src/domain/windows.js';

let candidates = 0;

/**
 * A touch as the attribution engine reads it: a click of an acquisition campaign an hour
 * before `now`, from 203.0.113.9 with user agent UA/1, no device id; ids sort in creation order.
 */
export function touchCandidate(now: number, overrides: Partial<TouchCandidate> = {}): TouchCandidate {
  candidates++;
  return {
    touchpoint_id: `t${String(candidates).padStart(4, '0')}`,
    kind: 'click',
    campaign_id: 'camp-a',
    campaign_kind: 'acquisition',
    network: 'chartboost',
    created_at: now - 3_600_000,
    ip: '203.0.113.9',
    user_agent: 'UA/1',
    platform: null,
    storefront: null,
    idfa: null,
    gaid: null,
    uuid: null,
    fire_adid: null,
    windows: DEFAULT_WINDOWS,
    ...overrides,
  };
}

/** A click (or view) row with every optional field empty. */
export function touchpoint(appId: string, campaignId: string | null, overrides: Partial<Touchpoint> = {}): Touchpoint {
  return {
    touchpoint_id: newId(),
    kind: 'click',
    app_id: appId,
    campaign_id: campaignId,
    network: 'chartboost',
    created_at: Date.now(),
    ip: '203.0.113.7',
    user_agent: 'Mozilla/5.0',
    platform: null,
    storefront: null,
    network_click_id: null,
    idfa: null,
    gaid: null,
    uuid: null,
    fire_adid: null,
    site_id: null,
    publisher: null,
    creative: null,
    sub1: null,
    sub2: null,
    sub3: null,
    sub4: null,
    sub5: null,
    ...overrides,
  };
}

/** The newest migration: what a fresh database reports as current. */
export const LATEST_MIGRATION = '0023-export-lookups';
export const ALL_MIGRATIONS = ['0001-foundation', '0002-touchpoints', '0003-users-installs-events', '0004-postbacks', '0005-idempotency-keys', '0006-currency', '0007-reports', '0008-history-partitions', '0009-import-dedup-keys', '0010-ingest-journal', '0011-install-lookups', '0012-delivery-answer-rule', '0013-drop-ingest-journal', '0014-app-aliases', '0015-ad-revenue', '0016-costs', '0017-re-engagement', '0018-skan-postbacks', '0019-erasures', '0020-job-runs', '0021-skan-maps', '0022-webhooks', '0023-export-lookups'];

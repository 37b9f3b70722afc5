import { newId } from '../../src/domain/ids.js';
import type { Touchpoint } from '../../src/domain/entities.js';

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
export const LATEST_MIGRATION = '0016-costs';
export const ALL_MIGRATIONS = ['0001-foundation', '0002-touchpoints', '0003-users-installs-events', '0004-postbacks', '0005-idempotency-keys', '0006-currency', '0007-reports', '0008-history-partitions', '0009-import-dedup-keys', '0010-ingest-journal', '0011-install-lookups', '0012-delivery-answer-rule', '0013-drop-ingest-journal', '0014-app-aliases', '0015-ad-revenue', '0016-costs'];

import { newId } from '../../src/domain/ids.js';
import type { Touchpoint } from '../../src/storage/store.js';

/** A click (or view) row with every optional field empty. */
export function touchpoint(appId: string, campaignId: string, overrides: Partial<Touchpoint> = {}): Touchpoint {
  return {
    touchpoint_id: newId(),
    kind: 'click',
    app_id: appId,
    campaign_id: campaignId,
    network: 'chartboost',
    created_at: Date.now(),
    ip: '203.0.113.7',
    user_agent: 'Mozilla/5.0',
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

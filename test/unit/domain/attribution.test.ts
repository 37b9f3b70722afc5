import { describe, expect, it } from 'vitest';
import { attribute, inWindow, ORGANIC, type Candidates, type Conversion, type TouchCandidate } from '../../../src/domain/attribution.js';
import { DEFAULT_WINDOWS } from '../../../src/domain/windows.js';
import { touchCandidate } from '../../helpers/fixtures.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 12);
const touch = (overrides: Partial<TouchCandidate> = {}): TouchCandidate => touchCandidate(NOW, overrides);

function conversion(overrides: Partial<Conversion> = {}): Conversion {
  return { time: NOW, clickIds: [], viewIds: [], deviceIds: {}, ip: '203.0.113.9', userAgent: 'UA/1', platform: 'ios', ...overrides };
}

function everywhere(...touches: TouchCandidate[]): Candidates {
  return { byId: touches, byDevice: touches, byIp: touches };
}

describe('attribution engine', () => {
  it('is organic with no candidates', () => {
    expect(attribute(conversion(), { byId: [], byDevice: [], byIp: [] })).toEqual(ORGANIC);
  });

  it('credits a known click id first, over a device match and a fingerprint', () => {
    const byId = touch({ campaign_id: 'by-id', created_at: NOW - 3 * DAY });
    const byDevice = touch({ campaign_id: 'by-device', idfa: 'aaaa', created_at: NOW - HOUR });
    const decision = attribute(conversion({ clickIds: [byId.touchpoint_id], deviceIds: { idfa: 'aaaa' } }), everywhere(byId, byDevice));
    expect(decision).toEqual({
      status: 'attributed',
      match_type: 'click_id',
      campaign_id: 'by-id',
      network: 'chartboost',
      touchpoint_id: byId.touchpoint_id,
      touchpoint_kind: 'click',
      touched_at: byId.created_at,
    });
  });

  it('treats a click id naming a view as no click id, but credits an explicit completed view id', () => {
    const view = touch({ kind: 'view', ip: null, user_agent: null });
    expect(attribute(conversion({ clickIds: [view.touchpoint_id] }), everywhere(view)).status).toBe('organic');
    expect(attribute(conversion({ viewIds: [view.touchpoint_id] }), everywhere(view)).match_type).toBe('view_id');
  });

  it('falls through to the device id when the click id is outside its window', () => {
    const old = touch({ created_at: NOW - 8 * DAY, idfa: 'aaaa' });
    const fresh = touch({ campaign_id: 'fresh', created_at: NOW - 2 * DAY, gaid: 'gggg', ip: null });
    const decision = attribute(conversion({ clickIds: [old.touchpoint_id], deviceIds: { gaid: 'gggg' }, ip: undefined }), everywhere(old, fresh));
    expect(decision).toMatchObject({ match_type: 'device_id', campaign_id: 'fresh' });
  });

  it('makes an 8-day-old click organic under the default 7-day window, a 6-day-old one attributed', () => {
    const old = touch({ created_at: NOW - 8 * DAY, idfa: 'aaaa' });
    expect(attribute(conversion({ clickIds: [old.touchpoint_id], deviceIds: { idfa: 'aaaa' } }), everywhere(old))).toEqual(ORGANIC);
    const recent = touch({ created_at: NOW - 6 * DAY, idfa: 'aaaa' });
    expect(attribute(conversion({ deviceIds: { idfa: 'aaaa' }, ip: undefined }), everywhere(recent)).match_type).toBe('device_id');
  });

  it('lets an older click beat a newer view, and the latest of two clicks win', () => {
    const click = touch({ created_at: NOW - 5 * HOUR, idfa: 'aaaa', campaign_id: 'click' });
    const view = touch({ kind: 'view', created_at: NOW - HOUR, idfa: 'aaaa', campaign_id: 'view' });
    expect(attribute(conversion({ deviceIds: { idfa: 'aaaa' } }), everywhere(view, click)).campaign_id).toBe('click');
    const later = touch({ created_at: NOW - 2 * HOUR, idfa: 'aaaa', campaign_id: 'later' });
    expect(attribute(conversion({ deviceIds: { idfa: 'aaaa' } }), everywhere(click, later, view)).campaign_id).toBe('later');
  });

  it('breaks a tie in time by the later-minted id', () => {
    const a = touch({ created_at: NOW - HOUR, idfa: 'x', campaign_id: 'a' });
    const b = touch({ created_at: NOW - HOUR, idfa: 'x', campaign_id: 'b' });
    expect(attribute(conversion({ deviceIds: { idfa: 'x' } }), everywhere(b, a)).campaign_id).toBe('b');
  });

  it('matches every device id kind', () => {
    for (const kind of ['idfa', 'gaid', 'uuid', 'fire_adid'] as const) {
      const t = touch({ [kind]: 'id-1', ip: null });
      expect(attribute(conversion({ deviceIds: { [kind]: 'id-1' } }), everywhere(t)).match_type).toBe('device_id');
      expect(attribute(conversion({ deviceIds: { [kind]: 'id-2' } }), everywhere(t)).match_type).toBe('organic');
    }
  });

  it('uses the view window (24 h) for views and the click window for clicks', () => {
    const view = touch({ kind: 'view', created_at: NOW - 25 * HOUR, idfa: 'v' });
    expect(attribute(conversion({ deviceIds: { idfa: 'v' }, ip: undefined }), everywhere(view))).toEqual(ORGANIC);
    const recentView = touch({ kind: 'view', created_at: NOW - 23 * HOUR, idfa: 'v' });
    expect(attribute(conversion({ deviceIds: { idfa: 'v' }, ip: undefined }), everywhere(recentView)).match_type).toBe('device_id');
  });

  it('honours per-campaign windows', () => {
    const windows = { ...DEFAULT_WINDOWS, click: 30 * 86_400 };
    const t = touch({ created_at: NOW - 20 * DAY, idfa: 'a', windows });
    expect(attribute(conversion({ deviceIds: { idfa: 'a' } }), everywhere(t)).match_type).toBe('device_id');
  });

  it('never credits a touch after the conversion or one without a campaign', () => {
    const future = touch({ created_at: NOW + 1000, idfa: 'a' });
    const campaignless = touch({ campaign_id: null, network: null, idfa: 'a' });
    expect(attribute(conversion({ deviceIds: { idfa: 'a' }, clickIds: [campaignless.touchpoint_id] }), everywhere(future, campaignless))).toEqual(ORGANIC);
    expect(inWindow(touch({ created_at: NOW }), NOW, false)).toBe(true);
  });

  describe('probabilistic', () => {
    it('matches mobile and web by IP and user agent (fingerprint), within 24 h', () => {
      const t = touch({ created_at: NOW - 23 * HOUR });
      expect(attribute(conversion(), everywhere(t)).match_type).toBe('fingerprint');
      expect(attribute(conversion({ userAgent: 'UA/2' }), everywhere(t))).toEqual(ORGANIC);
      expect(attribute(conversion({ userAgent: undefined }), everywhere(t))).toEqual(ORGANIC);
      expect(attribute(conversion({ ip: '203.0.113.10' }), everywhere(t))).toEqual(ORGANIC);
      expect(attribute(conversion({ platform: 'web' }), everywhere(t)).match_type).toBe('fingerprint');
      // A 2-day-old click is inside the click window but outside the probabilistic one.
      expect(attribute(conversion(), everywhere(touch({ created_at: NOW - 2 * DAY })))).toEqual(ORGANIC);
    });

    it('matches PC and consoles by IP and platform, ignoring the user agent', () => {
      const t = touch({ user_agent: 'Steam client', platform: 'pc', storefront: 'steam' });
      const pc = conversion({ platform: 'pc', storefront: 'steam', userAgent: undefined });
      expect(attribute(pc, everywhere(t)).match_type).toBe('ip');
      expect(attribute({ ...pc, storefront: 'epic' }, everywhere(t))).toEqual(ORGANIC);
      expect(attribute({ ...pc, storefront: undefined }, everywhere(t)).match_type).toBe('ip');
      expect(attribute({ ...pc, platform: 'xbox' }, everywhere(t))).toEqual(ORGANIC);
      // A touch that did not say its platform matches any.
      expect(attribute({ ...pc, platform: 'xbox' }, everywhere(touch({ platform: null }))).match_type).toBe('ip');
    });

    it('prefers a click to a view and the latest among equals', () => {
      const view = touch({ kind: 'view', created_at: NOW - HOUR, campaign_id: 'view' });
      const click = touch({ created_at: NOW - 3 * HOUR, campaign_id: 'click' });
      expect(attribute(conversion(), everywhere(view, click)).campaign_id).toBe('click');
    });
  });
});

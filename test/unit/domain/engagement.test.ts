import { describe, expect, it } from 'vitest';
import type { Candidates, Conversion, TouchCandidate } from '../../../src/domain/attribution.js';
import { DEFAULT_INACTIVITY_S, engage, mayEngage, type EngagementRules, type KnownUser } from '../../../src/domain/engagement.js';
import { DEFAULT_WINDOWS } from '../../../src/domain/windows.js';
import { touchCandidate } from '../../helpers/fixtures.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 12);
const RULES: EngagementRules = { inactivityS: DEFAULT_INACTIVITY_S, probabilistic: false };
/** A click of the retargeting campaign, by device g1, an hour ago. */
const click = (overrides: Partial<TouchCandidate> = {}): TouchCandidate =>
  touchCandidate(NOW, { campaign_id: 'retarget', campaign_kind: 'retargeting', network: 'liftoff', gaid: 'g1', ...overrides });

const sighting = (overrides: Partial<Conversion> = {}): Conversion => ({
  time: NOW,
  clickIds: [],
  viewIds: [],
  deviceIds: { gaid: 'g1' },
  ip: '203.0.113.9',
  userAgent: 'UA/1',
  platform: 'android',
  ...overrides,
});

/** A user seen `daysAgo` days ago, installed through campaign `ua`. */
const user = (daysAgo: number, credited: (string | null)[] = ['ua']): KnownUser => ({ lastSeenAt: NOW - daysAgo * DAY, creditedCampaigns: credited });
const byDevice = (...touches: TouchCandidate[]): Candidates => ({ byId: [], byDevice: touches, byIp: [] });

describe('re-engagement', () => {
  it('a retargeting click since the last sighting, inside the 7-day re-engagement window, re-engages an active user', () => {
    const touch = click({ created_at: NOW - 6 * DAY });
    const found = engage(sighting(), user(6.5), byDevice(touch), RULES);
    expect(found).toMatchObject({ kind: 're-engagement', match_type: 'device_id', campaign_id: 'retarget', touchpoint_id: touch.touchpoint_id, network: 'liftoff' });
    expect(found!.creditUntil).toBe(NOW + 30 * DAY);
  });

  it('not once the re-engagement window has passed, nor for a click from before the last sighting, nor for a view', () => {
    expect(engage(sighting(), user(10), byDevice(click({ created_at: NOW - 7 * DAY - 1 })), RULES)).toBeUndefined();
    expect(engage(sighting(), user(1), byDevice(click({ created_at: NOW - 2 * DAY })), RULES)).toBeUndefined();
    expect(engage(sighting(), user(1), byDevice(click({ created_at: NOW - 1 * DAY })), RULES)).toBeUndefined();
    expect(engage(sighting(), user(3), byDevice(click({ kind: 'view', created_at: NOW - HOUR })), RULES)).toBeUndefined();
  });

  it("the campaign's own windows decide: a 1-day re-engagement window, a 3-day attribution window", () => {
    const windows = { ...DEFAULT_WINDOWS, reEngagement: 86_400, reEngagementAttribution: 3 * 86_400 };
    expect(engage(sighting(), user(5), byDevice(click({ created_at: NOW - 2 * DAY, windows })), RULES)).toBeUndefined();
    expect(engage(sighting(), user(5), byDevice(click({ created_at: NOW - HOUR, windows })), RULES)!.creditUntil).toBe(NOW + 3 * DAY);
  });

  it('by click id first, then device id; probabilistically only where the app allows it', () => {
    const byId = click({ gaid: null, created_at: NOW - 2 * HOUR });
    const device = click({ created_at: NOW - HOUR });
    const won = engage(sighting({ clickIds: [byId.touchpoint_id] }), user(1), { byId: [byId], byDevice: [device], byIp: [] }, RULES);
    expect(won).toMatchObject({ match_type: 'click_id', touchpoint_id: byId.touchpoint_id });

    const byIp = click({ gaid: null, created_at: NOW - HOUR });
    const ip: Candidates = { byId: [], byDevice: [], byIp: [byIp] };
    expect(engage(sighting({ deviceIds: {} }), user(1), ip, RULES)).toBeUndefined();
    expect(engage(sighting({ deviceIds: {} }), user(1), ip, { ...RULES, probabilistic: true })).toMatchObject({ match_type: 'fingerprint', kind: 're-engagement' });
    // ... inside the probabilistic window (24 h) too.
    const old: Candidates = { byId: [], byDevice: [], byIp: [click({ gaid: null, created_at: NOW - 2 * DAY })] };
    expect(engage(sighting({ deviceIds: {} }), user(3), old, { ...RULES, probabilistic: true })).toBeUndefined();
  });
});

describe('reattribution', () => {
  const uaClick = (overrides: Partial<TouchCandidate> = {}) => click({ campaign_id: 'other-ua', campaign_kind: 'acquisition', network: 'vungle', ...overrides });

  it('a user-acquisition click reattributes a user inactive for at least the inactivity period', () => {
    const touch = uaClick({ created_at: NOW - DAY });
    expect(engage(sighting(), user(7), byDevice(touch), RULES)).toMatchObject({ kind: 'reattribution', campaign_id: 'other-ua', match_type: 'device_id' });
    expect(engage(sighting(), user(6.9), byDevice(touch), RULES)).toBeUndefined();
    expect(engage(sighting(), user(2), byDevice(touch), { ...RULES, inactivityS: 0 })).toMatchObject({ kind: 'reattribution' });
  });

  it("not by the campaign the user is credited to already, and only inside the campaign's click window", () => {
    expect(engage(sighting(), user(10, ['other-ua']), byDevice(uaClick({ created_at: NOW - DAY })), RULES)).toBeUndefined();
    expect(engage(sighting(), user(30), byDevice(uaClick({ created_at: NOW - 8 * DAY })), RULES)).toBeUndefined();
  });

  it('last touch between a retargeting and a user-acquisition click: the latest wins and names the kind', () => {
    const retarget = click({ created_at: NOW - 3 * HOUR });
    const ua = uaClick({ created_at: NOW - 2 * HOUR });
    expect(engage(sighting(), user(10), byDevice(retarget, ua), RULES)).toMatchObject({ kind: 'reattribution', touchpoint_id: ua.touchpoint_id });
    // An active user: only the retargeting click counts.
    expect(engage(sighting(), user(1), byDevice(retarget, ua), RULES)).toMatchObject({ kind: 're-engagement', touchpoint_id: retarget.touchpoint_id });
  });
});

describe('mayEngage: whether a lookup is worth it', () => {
  it('an app with a retargeting campaign looks for every later sighting; otherwise only for an inactive user', () => {
    expect(mayEngage(NOW, { lastSeenAt: NOW - HOUR }, RULES, true)).toBe(true);
    expect(mayEngage(NOW, { lastSeenAt: NOW - HOUR }, RULES, false)).toBe(false);
    expect(mayEngage(NOW, { lastSeenAt: NOW - 8 * DAY }, RULES, false)).toBe(true);
    // A sighting dated before the last one is never an engagement.
    expect(mayEngage(NOW - 2 * HOUR, { lastSeenAt: NOW - HOUR }, RULES, true)).toBe(false);
  });
});

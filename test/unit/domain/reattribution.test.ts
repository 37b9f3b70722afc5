import { describe, expect, it } from 'vitest';
import type { Candidates, Conversion, TouchCandidate } from '../../../src/domain/attribution.js';
import type { InstallRow } from '../../../src/domain/entities.js';
import { countInstall, creditOf, newTally, replayInstall, tallied } from '../../../src/domain/reattribution.js';
import { touchCandidate } from '../../helpers/fixtures.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 25, 12);
const IDFA = 'aaaaaaaa-0000-4000-8000-000000000001';
const RULES = { minCtitSeconds: 10 };

const touch = (overrides: Partial<TouchCandidate>): TouchCandidate => touchCandidate(NOW, { idfa: IDFA, ...overrides });
const conversion: Conversion = { time: NOW, clickIds: [], viewIds: [], deviceIds: { idfa: IDFA }, ip: undefined, userAgent: undefined, platform: 'ios' };
const onDevice = (...touches: TouchCandidate[]): Candidates => ({ byId: [], byDevice: touches, byIp: [] });

function install(credited: TouchCandidate | null, overrides: Partial<InstallRow> = {}): InstallRow {
  return {
    install_id: 'i1', app_id: 'a', user_pk: 'u1', kind: 'install', installed_at: NOW, status: credited ? 'attributed' : 'organic',
    match_type: credited ? 'device_id' : 'organic', campaign_id: credited?.campaign_id ?? null, network: credited?.network ?? null,
    touchpoint_id: credited?.touchpoint_id ?? null, touched_at: credited?.created_at ?? null, rejected_reason: null, rejected_value: null,
    ip: null, user_agent: null, platform: 'ios', source: 'test', ...overrides,
  };
}

describe('what-if windows', () => {
  const click = touch({ campaign_id: 'clicks', created_at: NOW - 5 * DAY });
  const view = touch({ kind: 'view', campaign_id: 'views', created_at: NOW - 2 * HOUR });

  it('credits the view when a shorter click window leaves the click out', () => {
    const replayed = replayInstall(install(click), conversion, onDevice(click, view), { click: 3 * 86_400 }, RULES);
    expect(replayed).toMatchObject({ status: 'attributed', match_type: 'device_id', campaign_id: 'views', touchpoint_id: view.touchpoint_id, touched_at: view.created_at });
  });

  it('keeps the credit where the change does not move it', () => {
    expect(replayInstall(install(click), conversion, onDevice(click, view), { view: 3600 }, RULES)).toEqual(creditOf(install(click)));
  });

  it('makes an organic install attributed under a longer click window, and one credited organic under a shorter one', () => {
    const old = touch({ campaign_id: 'old', created_at: NOW - 10 * DAY });
    expect(replayInstall(install(null), conversion, onDevice(old), { click: 14 * 86_400 }, RULES)).toMatchObject({ status: 'attributed', campaign_id: 'old' });
    expect(replayInstall(install(click), conversion, onDevice(click), { click: 86_400 }, RULES)).toMatchObject({ status: 'organic', campaign_id: null, touchpoint_id: null });
  });

  it('rejects a new winner that the click-to-install rule refuses, as ingest would', () => {
    const quick = touch({ campaign_id: 'quick', created_at: NOW - 5_000 });
    const stale = touch({ campaign_id: 'stale', created_at: NOW - 2 * DAY, kind: 'view' });
    // Credited to a view today (the 5-second click was not yet stored, say); a replay finds the click.
    expect(replayInstall(install(stale), conversion, onDevice(stale, quick), { view: 3 * 86_400 }, RULES)).toMatchObject({ status: 'rejected', campaign_id: 'quick', rejected_reason: 'ctit_too_short', rejected_value: '5.0s' });
  });

  it('keeps what stored data cannot decide again', () => {
    const change = { click: 86_400 };
    expect(replayInstall(install(click, { kind: 'reinstall' }), conversion, onDevice(click), change, RULES)).toEqual({ kept: 'not_a_first_install' });
    expect(replayInstall(install(click, { match_type: 'claimed' }), conversion, onDevice(click), change, RULES)).toEqual({ kept: 'claimed' });
    expect(replayInstall(install(click, { status: 'rejected', rejected_reason: 'blocked_ip' }), conversion, onDevice(click), change, RULES)).toEqual({ kept: 'rejected' });
    // Its click pruned (or found no more): it would turn organic for want of data, so it stays.
    expect(replayInstall(install(click), conversion, onDevice(view), change, RULES)).toEqual({ kept: 'touch_not_found' });
  });

  it('counts installs per campaign now and what-if, organic last, rejected apart', () => {
    const a = creditOf(install(click));
    const b = creditOf(install(view));
    const organic = creditOf(install(null));
    const rejected = { ...a, status: 'rejected' as const };
    const t = newTally();
    for (const [now, whatIf] of [[a, b], [a, a], [organic, a], [b, rejected]] as const) countInstall(t, now, whatIf);
    expect(t.installs).toBe(4);
    expect(tallied(t)).toEqual({
      campaigns: [
        { campaign_id: 'clicks', network: 'chartboost', now: 2, what_if: 2, delta: 0 },
        { campaign_id: 'views', network: 'chartboost', now: 1, what_if: 1, delta: 0 },
        { campaign_id: null, network: null, now: 1, what_if: 0, delta: -1 },
      ],
      rejected: { now: 0, what_if: 1 },
    });
  });
});

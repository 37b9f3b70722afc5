import { describe, expect, it } from 'vitest';
import { CHARTBOOST_ANSWERS } from '../../../src/client/index.js';
import type { App } from '../../../src/domain/apps.js';
import { AppError } from '../../../src/errors.js';
import {
  FORMAT_SPECS,
  POSTBACK_FORMATS,
  buildRequests,
  checkSettings,
  postbackFormat,
  type CredentialField,
  type Postback,
  type PostbackFormatSpec,
  type Trigger,
  type TriggerContext,
} from '../../../src/postbacks/formats/index.js';
import type { EventRow, InstallRow } from '../../../src/domain/entities.js';

const APP = { app_id: 'a'.repeat(24), app_signature: 'f'.repeat(40), settings: {} } as App;
const INSTALL: InstallRow = {
  install_id: 'i'.repeat(24), app_id: APP.app_id, user_pk: 'u1', kind: 'install', installed_at: Date.UTC(2026, 10, 25), status: 'attributed',
  match_type: 'click_id', campaign_id: null, network: 'Chartboost', touchpoint_id: 't'.repeat(24), touched_at: null,
  rejected_reason: null, rejected_value: null, ip: null, user_agent: null, platform: null, source: 'test',
};
const PURCHASE: EventRow = {
  event_pk: 'e'.repeat(24), app_id: APP.app_id, user_pk: 'u1', kind: 'purchase', name: 'purchase', occurred_at: INSTALL.installed_at + 60_000,
  received_at: INSTALL.installed_at + 60_000, revenue: 1.99, currency: 'USD', revenue_usd: 1.99, aggregated_value: null, event_value: null,
  product_id: 'gems', ip: null, user_agent: null, source: 'test', dedup_key: null,
  ad_source: null, ad_network: null, ad_unit: null, ad_placement: null, ad_impressions: null,
};
const CTX: TriggerContext = {
  app: APP, install: INSTALL, clickRef: { click_id: 'cb-click' }, deviceIds: { gaid: '8df6c9bf-0000-4000-8000-000000000001' },
  userId: undefined, ip: undefined, userAgent: undefined,
};
const TRIGGERS: Trigger[] = [
  { kind: 'install', install: INSTALL },
  { kind: 'event', event: { ...PURCHASE, event_pk: 'o'.repeat(24), kind: 'open', name: 'open', revenue: null, currency: null, revenue_usd: null, product_id: null } },
  { kind: 'event', event: PURCHASE },
];

/** A postback of that format as addPostback would store it. */
function postbackOf(spec: PostbackFormatSpec, events: string[] | null = null): Postback {
  const url = spec.name === 'url' ? 'https://n.example/pb?c={click_id}&e={event_id}' : 'https://cb.example';
  return {
    postback_id: 'p'.repeat(24), app_id: APP.app_id, network: 'chartboost', format: spec.name, events, created_at: new Date(0).toISOString(),
    url: checkSettings(spec, { url, token: 'tok', secret: 'sec' }), token: 'tok', secret: 'sec', app_signature: null, batch_size: null,
  };
}

function refusal(run: () => unknown): { status: number; message: string } | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, message: error.message };
    throw error;
  }
  return undefined;
}

describe('the postback format registry', () => {
  it('lists each format once, by the name its spec gives, and finds it by that name', () => {
    expect(POSTBACK_FORMATS).toEqual(FORMAT_SPECS.map((spec) => spec.name));
    expect(POSTBACK_FORMATS).toEqual(expect.arrayContaining(['chartboost-v2', 'chartboost-v1', 'chartboost-pia', 'url']));
    expect(new Set(POSTBACK_FORMATS).size).toBe(FORMAT_SPECS.length);
    for (const spec of FORMAT_SPECS) expect(postbackFormat(spec.name)).toBe(spec);
    expect(postbackFormat('chartboost-v9')).toBeUndefined();
  });

  it("refuses a postback missing a setting its format requires with the spec's 400, naming the field", () => {
    const complete: Partial<Record<CredentialField, string>> = { url: 'https://n.example/pb', token: 't', secret: 's', app_signature: 'a' };
    for (const spec of FORMAT_SPECS) {
      expect(refusal(() => checkSettings(spec, complete)), spec.name).toBeUndefined();
      for (const [field, requirement] of Object.entries(spec.credentials)) {
        const { [field as CredentialField]: _left, ...rest } = complete;
        const refused = refusal(() => checkSettings(spec, rest));
        if (requirement === 'optional') {
          expect(refused, `${spec.name} without ${field}`).toBeUndefined();
        } else {
          expect(refused, `${spec.name} without ${field}`).toEqual({ status: 400, message: requirement.required });
          expect(requirement.required.startsWith(`${field}: `)).toBe(true);
        }
      }
    }
    expect(refusal(() => checkSettings(postbackFormat('url'), { token: 't' }))?.message).toBe(
      'url: is required for the url format (a template such as https://n.example/pb?click={click_id})',
    );
    expect(refusal(() => checkSettings(postbackFormat('chartboost-v2'), {}))?.message).toBe('token: is required for chartboost-v2');
    expect(refusal(() => checkSettings(postbackFormat('chartboost-pia'), { token: 't' }))).toEqual({
      status: 400,
      message: 'secret: is required for chartboost-pia (its requests are signed)',
    });
  });

  it("stores each format's url as it will be sent: a Chartboost base without its trailing slash (Chartboost's own by default), a template normalised", () => {
    const v2 = postbackFormat('chartboost-v2');
    expect(checkSettings(v2, { token: 't' })).toBe('https://live.chartboost.com');
    expect(checkSettings(v2, { token: 't', url: 'https://CB.example/base//' })).toBe('https://cb.example/base');
    expect(refusal(() => checkSettings(v2, { token: 't', url: 'https://cb.example/?x=1' }))?.message).toBe('url: a base URL takes no query or fragment (the endpoint paths are added to it)');
    const template = postbackFormat('url');
    expect(checkSettings(template, { url: 'HTTPS://N.example/a b?c={click_id}' })).toBe('https://n.example/a%20b?c={click_id}');
    expect(refusal(() => checkSettings(template, { url: 'https://n.example/?x={clickid}' }))?.message).toBe('url: unknown macro {clickid}');
  });

  it("judges each format's answers as the client judges the endpoints it sends to", () => {
    expect(postbackFormat('chartboost-v1').answers).toBe(CHARTBOOST_ANSWERS.install);
    for (const spec of FORMAT_SPECS) {
      const postback = postbackOf(spec);
      for (const trigger of TRIGGERS) {
        const built = spec.build(postback, trigger, CTX);
        if (built) expect(built.answers ?? 'http-status', `${spec.name} ${built.url}`).toBe(spec.answers);
      }
    }
  });

  it("sends each format's default events unless events narrow them, each request with its format's answer rule", () => {
    const sent = (spec: PostbackFormatSpec, events: string[] | null) =>
      TRIGGERS.flatMap((trigger) => buildRequests(postbackOf(spec, events), trigger, CTX)).map((q) => [q.trigger, q.request.answers]);
    expect(sent(postbackFormat('chartboost-v2'), null)).toEqual([['install', 'http-status'], ['open', 'http-status']]);
    expect(sent(postbackFormat('chartboost-v1'), null)).toEqual([['install', 'body-status']]);
    expect(sent(postbackFormat('chartboost-pia'), null)).toEqual([['purchase', 'http-status']]);
    expect(sent(postbackFormat('url'), null)).toEqual([['install', 'http-status'], ['purchase', 'http-status']]);
    expect(sent(postbackFormat('url'), ['purchase'])).toEqual([['purchase', 'http-status']]);
    // A row written by hand with a format this server does not know queues nothing, whatever its events.
    for (const events of [null, ['install']]) expect(buildRequests({ ...postbackOf(postbackFormat('url'), events), format: 'gone' }, TRIGGERS[0]!, CTX)).toEqual([]);
  });
});

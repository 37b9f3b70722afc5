import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signChartboost } from '../../../src/protocols/chartboost/signature.js';
import { BACKENDS } from '../../helpers/backends.js';
import { protocolEndpoints, type Endpoint } from '../../helpers/protocol-routes.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

/**
 * Property-based fuzzing of every endpoint with hostile input. Properties: never a 5xx, never a
 * crash, always a JSON `{status, message}` whose message names a field, and nothing stored by a
 * refused request. Bounded: RUNS cases per endpoint and body style.
 */
const RUNS = 300;

const hostileString = fc.oneof(
  { arbitrary: fc.string(), weight: 1 },
  { arbitrary: fc.fullUnicodeString({ maxLength: 40 }), weight: 1 },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
    '',
    ' ',
    "' OR 1=1 --",
    '"; DROP TABLE installs; --',
    '{"$gt": ""}',
    '__proto__',
    'constructor',
    '../../etc/passwd',
    '%00',
    '\u0000',
    '\uD800',
    'x'.repeat(3000),
    '00000000-0000-0000-0000-000000000000',
    'NaN',
    'Infinity',
    '-1',
    '1e309',
    '9'.repeat(400),
    ),
  },
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1e308, -1e308, true, false, null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);

const KNOWN_KEYS = [
  'token', 's2s_token', 's2stoken', 'app_id', 'campaign_id', 'click_id', 'completed_view_id', 'idfa', 'gaid', 'uuid', 'fire_adid', 'ifa',
  'user_id', 'event_id', 'user_ip', 'user_ua', 'ip_address', 'user_agent', 'sale_amount', 'sale_amount_currency', 'event_value',
  'aggregated_event_value', 'claim', 'organic', 'timestamp', 'rejected_reason', 'iap', 'event_name', 'ip', 'time_stamp', 'platform',
  'storefront', 'no_redirect', 'event_uid', '__proto__', 'constructor',
  // Adjust S2S
  's2s', 'app_token', 'event_token', 'gps_adid', 'idfv', 'adid', 'created_at_unix', 'created_at', 'revenue', 'currency', 'callback_params',
  'partner_params', 'environment', 'source', 'amount', 'ad_impressions_count', 'ad_revenue_network', 'ad_revenue_unit', 'ad_revenue_placement',
  // costs
  'costs', 'day', 'spend', 'campaign_name', 'impressions', 'clicks',
  // AppsFlyer S2S events
  'appsflyer_id', 'customer_user_id', 'eventName', 'eventValue', 'eventCurrency', 'eventTime', 'event_name', 'event_currency', 'event_time',
  'advertising_id', 'amazon_aid', 'oaid',
  // AppLovin MAX impression postback
  'ts', 'network', 'ad_unit_id', 'placement', 'ad_format', 'country',
  // SKAdNetwork and AdAttributionKit postbacks
  'version', 'ad-network-id', 'transaction-id', 'app-id', 'source-identifier', 'campaign-id', 'postback-sequence-index', 'attribution-signature',
  'redownload', 'did-win', 'fidelity-type', 'source-app-id', 'source-domain', 'conversion-value', 'coarse-conversion-value', 'country-code', 'jws-string',
];

const params = fc.dictionary(
  fc.oneof({ arbitrary: fc.constantFrom(...KNOWN_KEYS), weight: 5 }, { arbitrary: fc.string({ maxLength: 8 }), weight: 1 }),
  hostileValue,
  { maxKeys: 10 },
);

type Style = 'query' | 'json' | 'form' | 'raw';

/** The fuzzed app's Adjust app token, so that Adjust requests reach validation past auth. */
const ADJUST_APP_TOKEN = 'fuzzadjust01';
const ADJUST_PATHS = ['/event', '/session', '/ad_revenue', '/gdpr_forget_device'];
/** AppsFlyer's route: its `{app_id}` is the fuzzed app's, its token goes in `authentication`, its errors carry AppsFlyer's words. */
const APPSFLYER_PATH = '/inappevent/:app_id';

const PROTOCOL_ENDPOINTS = await protocolEndpoints();

const ENDPOINTS: Endpoint[] = [
  ...PROTOCOL_ENDPOINTS,
  { path: '/admin/apps', methods: ['POST'] },
  { path: '/admin/campaigns', methods: ['POST'] },
  { path: '/admin/tokens', methods: ['POST'] },
  { path: '/admin/postbacks', methods: ['POST'] },
  { path: '/admin/webhooks', methods: ['GET', 'POST'] },
  { path: '/admin/export', methods: ['GET'] },
  { path: '/admin/reports/rejections', methods: ['GET'] },
  { path: '/admin/meta', methods: ['GET'] },
  { path: '/admin/reports', methods: ['GET'] },
  { path: '/admin/reports/cohorts', methods: ['GET'] },
  { path: '/admin/segments', methods: ['GET', 'POST'] },
  { path: '/admin/costs', methods: ['GET', 'PUT'] },
];

describe('fuzz targets', () => {
  it('include every seed endpoint, read from the protocol registry', () => {
    const byPath = Object.fromEntries(PROTOCOL_ENDPOINTS.map((e) => [e.path, [...e.methods].sort()]));
    expect(byPath).toMatchObject({
      '/click': ['GET', 'POST'],
      '/view': ['GET', 'POST'],
      '/api/v1/install.json': ['POST'],
      '/api/v2/attributed_install': ['GET', 'POST'],
      '/api/v2/open': ['GET', 'POST'],
      '/event_service/v3/track': ['POST'],
      '/postback': ['GET', 'POST'],
      '/s2sevent': ['GET', 'POST'],
      '/measure': ['POST'],
      '/event': ['GET', 'POST'],
      '/session': ['GET', 'POST'],
      '/ad_revenue': ['GET', 'POST'],
      '/ad_revenue/max': ['GET'],
      '/inappevent/:app_id': ['POST'],
      '/.well-known/skadnetwork/report-attribution/': ['POST'],
      '/.well-known/appattribution/report-attribution/': ['POST'],
      '/skan/postbacks': ['POST'],
    });
  });
});

function toQuery(p: Record<string, unknown>, duplicate: boolean): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) {
    const text = typeof v === 'string' ? v : JSON.stringify(v);
    q.append(k, text ?? '');
    if (duplicate) q.append(k, `${text}-2`);
  }
  return q.toString();
}

describe.each(BACKENDS)('fuzz on $name', (backend) => {
  let server: TestServer;
  let app: any;
  let token: any;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'silent', S2S_BODY_LIMIT: '8192' });
    const admin = { authorization: 'Bearer test-admin-token-0123456789', 'content-type': 'application/json' };
    app = await (await fetch(`${server.url}/admin/apps`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'F', platform: 'ios' }) })).json();
    token = await (await fetch(`${server.url}/admin/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ app_ids: [app.app_id], secret: true }) })).json();
    await fetch(`${server.url}/admin/apps/${app.app_id}/aliases`, { method: 'PATCH', headers: admin, body: JSON.stringify({ protocol: 'adjust', app: ADJUST_APP_TOKEN }) });
    // Apple's postbacks name the app by its App Store id: fuzzed ones that say `app-id` 1 reach storage.
    await fetch(`${server.url}/admin/apps/${app.app_id}/aliases`, { method: 'PATCH', headers: admin, body: JSON.stringify({ protocol: 'apple', app: '1' }) });
  });
  afterAll(async () => {
    await server.close();
  });

  async function snapshot(): Promise<string> {
    const [installs, events, devices, costs, skan] = await Promise.all([
      server.db.store.listInstalls(app.app_id),
      server.db.store.listEvents(app.app_id),
      server.db.store.listKnownDevices(app.app_id),
      server.db.store.listCosts(app.app_id, 0, 200_000),
      server.db.store.listSkanPostbacks(app.app_id, 100_000),
    ]);
    return `${installs.length}/${events.length}/${devices.length}/${costs.length}/${skan.length}`;
  }

  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.path}: hostile input never gives a 5xx and refused requests store nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(
          params,
          fc.constantFrom<Style>('query', 'json', 'form', 'raw'),
          fc.constantFrom(...endpoint.methods),
          fc.boolean().map((b) => b || Math.random() < 0.5),
          fc.boolean(),
          fc.uint8Array({ maxLength: 64 }),
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', 'application/json; charset=latin1'),
          async (p, style, method, useCredentials, duplicate, rawBytes, rawType) => {
            // Half the cases carry real credentials, so validation past auth is reached too.
            const withAuth: Record<string, unknown> = useCredentials ? { token: token.token, s2s_token: token.token, app_id: app.app_id, s2s: '1', app_token: ADJUST_APP_TOKEN, ...p } : p;
            const headers: Record<string, string> = {};
            if (useCredentials) {
              headers.authorization = endpoint.path.startsWith('/admin') ? 'Bearer test-admin-token-0123456789' : `Bearer ${token.token}`;
              headers['x-chartboost-token'] = token.token;
              headers.authentication = token.token;
            }
            let url = `${server.url}${endpoint.path.replace(':app_id', app.app_id)}`;
            let body: string | Uint8Array | undefined;
            if (method === 'GET' || style === 'query') {
              url += `?${toQuery(withAuth, duplicate)}`;
            } else if (style === 'json') {
              body = JSON.stringify(withAuth);
              headers['content-type'] = 'application/json';
            } else if (style === 'form') {
              body = toQuery(withAuth, duplicate);
              headers['content-type'] = 'application/x-www-form-urlencoded';
            } else {
              body = rawBytes; // truncated, invalid UTF-8, wrong content type
              headers['content-type'] = rawType;
            }
            if (typeof body === 'string' && useCredentials) {
              headers['x-chartboost-signature'] = signChartboost(endpoint.path.includes('v3') ? 'pia' : 'attribution', token.secret, app.app_signature, body);
            }
            const before = await snapshot();
            const res = await fetch(url, { method, headers, body });
            const text = await res.text();
            expect(res.status, `${method} ${url} ${String(body).slice(0, 200)} → ${text}`).toBeLessThan(500);
            let json: any;
            // AppsFlyer answers success as the text OK, as its API does.
            if (endpoint.path === APPSFLYER_PATH && res.status === 200) expect(text).toBe('OK');
            else expect(() => (json = JSON.parse(text)), text).not.toThrow();
            const refused = res.status >= 400 || (typeof json?.status === 'number' && json.status >= 400);
            if (refused) {
              // Adjust's routes add its own `error` beside them.
              expect(json).toEqual({
                status: expect.any(Number),
                message: expect.any(String),
                ...(json.errors ? { errors: json.errors, accepted: json.accepted } : {}),
                ...(ADJUST_PATHS.includes(endpoint.path) ? { error: expect.stringMatching(/^(Event|Session|Ad revenue|Erasure) request failed \(.+\)$/) } : {}),
                ...(endpoint.path === APPSFLYER_PATH ? { error: expect.any(String) } : {}),
              });
              expect(json.message, text).toMatch(/^[\w.\-[\]]+: |^no route for /);
              expect(await snapshot(), `${method} ${url} changed stored data though refused`).toBe(before);
            }
          },
        ),
        { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 424242) },
      );
    }, 60_000);
  }
});

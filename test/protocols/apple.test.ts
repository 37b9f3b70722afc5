import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, type TestBackend } from '../helpers/backends.js';
import { cliJson, runCli } from '../helpers/cli.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { AAK_DEVELOPMENT, SKAN_3_NON_WINNING, SKAN_3_WINNING, SKAN_4_HIGH, SKAN_4_LOW } from '../fixtures/apple-postbacks.js';

const SKAN_COPY = '/.well-known/skadnetwork/report-attribution/';
const AAK_COPY = '/.well-known/appattribution/report-attribution/';

/**
 * Apple's postbacks (docs/skan.md): the developer's copies at the well-known paths, those a
 * network forwards at /skan/postbacks, each stored once with its verification, listed by
 * `s2s skan list` and GET /admin/skan.
 */
describe.each(BACKENDS)('SKAdNetwork and AdAttributionKit postbacks on $name', (backend: TestBackend) => {
  let server: TestServer;
  let appId: string;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer(backend, { LOG_LEVEL: 'warn' });
    const app = await cliJson(['apps', 'create', '--name', 'iOS game', '--platform', 'ios'], server.db.env);
    appId = app.app_id;
    const configured = await cliJson(['apps', 'configure', '--app', appId, '--app-store-id', '525463029'], server.db.env);
    expect(configured.aliases.apps).toEqual({ apple: '525463029' });
    token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [appId] } })).body.token;
  });
  afterAll(async () => server?.close());

  const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => call(`${server.url}${path}`, { method: 'POST', rawBody: body, headers });
  const list = async () => (await call(`${server.url}/admin/skan?app_id=${appId}`, { admin: true })).body.postbacks as Record<string, unknown>[];

  it("stores Apple's copies once each, verified, whatever the Content-Type; answers every one 200 received", async () => {
    expect(await post(SKAN_COPY, SKAN_4_HIGH)).toMatchObject({ status: 200, body: { status: 'received' } });
    // Apple names no Content-Type; a repeat (Apple retries until it gets a 200) is stored once.
    expect(await post(SKAN_COPY, SKAN_4_HIGH, { 'content-type': 'text/plain' })).toMatchObject({ status: 200, body: { status: 'received' } });
    expect(await post(SKAN_COPY, SKAN_4_LOW)).toMatchObject({ status: 200, body: { status: 'received' } });
    const stored = await list();
    expect(stored.map((p) => [p.transaction_id, p.verification])).toEqual([
      ['6aafb7a5-0170-41b5-bbe4-fe71dedf1e31', 'verified'],
      ['6aafb7a5-0170-41b5-bbe4-fe71dedf1e30', 'verified'],
    ]);
    expect(stored[1]).toMatchObject({
      kind: 'skadnetwork', source: 'apple', version: '4.0', ad_network_id: 'com.example', sequence_index: 0, app_store_id: '525463029', source_identifier: '5239',
      source_app_id: null, source_domain: 'example.com', fidelity_type: 1, redownload: false, did_win: true, conversion_value: 63, coarse_conversion_value: null,
    });
    expect(stored[0]).toMatchObject({ source_identifier: '39', conversion_value: null, coarse_conversion_value: 'high' });
  });

  it('a postback with a signed field changed is stored invalid, and the answer says no more than received', async () => {
    const forged = JSON.stringify({ ...JSON.parse(SKAN_3_WINNING), 'campaign-id': 43 });
    expect(await post(SKAN_COPY, forged)).toMatchObject({ status: 200, body: { status: 'received' } });
    const row = (await list()).find((p) => p.transaction_id === '6aafb7a5-0170-41b5-bbe4-fe71dedf1e28');
    expect(row).toMatchObject({ version: '3.0', source_identifier: '43', verification: 'invalid' });
    // Apple's own copy of that postback comes after the forged one: it takes its place.
    expect(await post(SKAN_COPY, SKAN_3_WINNING)).toMatchObject({ status: 200, body: { status: 'received' } });
    const rows = (await list()).filter((p) => p.transaction_id === '6aafb7a5-0170-41b5-bbe4-fe71dedf1e28');
    expect(rows).toMatchObject([{ source_identifier: '42', verification: 'verified', conversion_value: 20 }]);
    // ... and a forged copy sent after it changes nothing.
    expect(await post(SKAN_COPY, forged)).toMatchObject({ status: 200 });
    expect((await list()).filter((p) => p.transaction_id === '6aafb7a5-0170-41b5-bbe4-fe71dedf1e28')).toMatchObject([{ source_identifier: '42', verification: 'verified' }]);
  });

  it("Apple's paths refuse a flood from one address (429) and bodies larger than a postback (413); unknown fields are not kept", async () => {
    const unknownApp = JSON.stringify({ ...JSON.parse(SKAN_4_HIGH), 'app-id': 4242 });
    const answers = await Promise.all(Array.from({ length: 80 }, () => post(SKAN_COPY, unknownApp)));
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThan(0);
    expect(answers.find((a) => a.status === 429)!.body).toMatchObject({ status: 429, message: expect.stringMatching(/^ip: more than 50 postbacks a second/) });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await post(SKAN_COPY, JSON.stringify({ ...JSON.parse(SKAN_4_LOW), padding: 'x'.repeat(9000) }))).status).toBe(413);
    const padded = JSON.stringify({ ...JSON.parse(SKAN_4_LOW), 'transaction-id': 'padded-1', padding: 'x'.repeat(4000) });
    expect((await post(SKAN_COPY, padded)).status).toBe(200);
    const stored = await server.db.store.listSkanPostbacks(appId, 100);
    expect(stored.find((p) => p.transaction_id === 'padded-1')!.body).not.toContain('padding');
  });

  it('a network forwards with its token: the non-winning 3.0 postback is verified; no token, a foreign token or an unknown app are refused naming the field', async () => {
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    expect(await post('/skan/postbacks', SKAN_3_NON_WINNING, auth)).toMatchObject({ status: 200, body: { status: 'received' } });
    expect((await list()).find((p) => p.transaction_id === 'f9ac267a-a889-44ce-b5f7-0166d11461f0')).toMatchObject({ source: 'network', did_win: false, verification: 'verified' });

    expect(await post('/skan/postbacks', SKAN_3_NON_WINNING)).toMatchObject({ status: 401, body: { message: 'authorization: is required ("Bearer <token>")' } });
    // A stranger learns nothing of which App Store ids are known: an unknown token is refused first.
    const stranger = JSON.stringify({ ...JSON.parse(SKAN_3_NON_WINNING), 'app-id': 999 });
    expect(await post('/skan/postbacks', stranger, { authorization: 'Bearer s2s_not-a-token' })).toMatchObject({ status: 401, body: { message: 'authorization: is not a valid token' } });
    const other = await cliJson(['apps', 'create', '--name', 'other', '--platform', 'ios'], server.db.env);
    const foreign = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [other.app_id] } })).body.token;
    expect(await post('/skan/postbacks', SKAN_3_NON_WINNING, { authorization: `Bearer ${foreign}` })).toMatchObject({ status: 403, body: { message: `app_id: this token may not write to app ${appId}` } });
    const unknownApp = JSON.stringify({ ...JSON.parse(SKAN_3_NON_WINNING), 'app-id': 999 });
    expect(await post('/skan/postbacks', unknownApp, auth)).toMatchObject({ status: 404, body: { message: 'app-id: no app has App Store id 999 (s2s apps configure --app-store-id)' } });
    // Apple's own path drops what no app claims, and still answers as Apple expects.
    expect(await post(SKAN_COPY, unknownApp)).toMatchObject({ status: 200, body: { status: 'received' } });
  });

  it('bad bodies get a 400 naming the field', async () => {
    const bad = async (body: string) => (await post(SKAN_COPY, body)).body;
    expect(await bad('not json')).toMatchObject({ status: 400, message: 'body: malformed JSON' });
    expect(await bad('[1]')).toMatchObject({ status: 400, message: 'body: must be a JSON object' });
    const base = JSON.parse(SKAN_4_HIGH);
    expect(await bad(JSON.stringify({ ...base, 'transaction-id': undefined }))).toMatchObject({ status: 400, message: 'transaction-id: is required' });
    expect(await bad(JSON.stringify({ ...base, 'app-id': 'abc' }))).toMatchObject({ status: 400, message: 'app-id: must be a whole number' });
    expect(await bad(JSON.stringify({ ...base, 'postback-sequence-index': 7 }))).toMatchObject({ status: 400, message: 'postback-sequence-index: must be 0, 1 or 2' });
    expect(await bad(JSON.stringify({ ...base, 'coarse-conversion-value': 'huge' }))).toMatchObject({ status: 400, message: 'coarse-conversion-value: must be low, medium or high' });
    expect((await post(AAK_COPY, JSON.stringify({ 'jws-string': 'a.b' }))).body).toMatchObject({ status: 400, message: 'jws-string: must be a compact JWS (three base64url parts)' });
    expect(await list()).toHaveLength(5);
  });

  it("AdAttributionKit: the signed payload apart from the unsigned fields; Apple's development key counts only for an app configured for development", async () => {
    const aak = await cliJson(['apps', 'create', '--name', 'AAK', '--platform', 'ios'], server.db.env);
    await cliJson(['apps', 'configure', '--app', aak.app_id, '--app-store-id', '10738027756'], server.db.env);
    expect(await post(AAK_COPY, AAK_DEVELOPMENT)).toMatchObject({ status: 200, body: { status: 'received' } });
    const listed = async () => (await call(`${server.url}/admin/skan?app_id=${aak.app_id}`, { admin: true })).body.postbacks;
    expect(await listed()).toMatchObject([
      {
        kind: 'adattributionkit', version: null, ad_network_id: 'development.adattributionkit', transaction_id: '85546EB7-FD39-44BC-8990-C98A4AC36A49', sequence_index: 0,
        app_store_id: '10738027756', source_identifier: '1234', source_app_id: '0', conversion_type: 're-engagement', did_win: true, redownload: false,
        conversion_value: 24, country_code: 'US', verification: 'invalid',
      },
    ]);
    // Configured for development, a new app of the same App Store id takes it as verified.
    await cliJson(['apps', 'configure', '--app', aak.app_id, '--app-store-id', 'none'], server.db.env);
    const dev = await cliJson(['apps', 'create', '--name', 'AAK dev', '--platform', 'ios'], server.db.env);
    await cliJson(['apps', 'configure', '--app', dev.app_id, '--app-store-id', '10738027756', '--apple-development', 'on'], server.db.env);
    expect(await post(AAK_COPY, AAK_DEVELOPMENT)).toMatchObject({ status: 200 });
    // The same postback (ad network, postback identifier, sequence index) is stored once.
    expect((await call(`${server.url}/admin/skan?app_id=${dev.app_id}`, { admin: true })).body.postbacks).toEqual([]);
  });

  it('s2s skan list: a table, or JSON, newest first', async () => {
    const json = await cliJson(['skan', 'list', '--app', appId], server.db.env);
    // Newest first: the forwarded 3.0 non-winner, the padded copy (its transaction changed), Apple's 3.0 winner, the two 4.0 copies.
    expect(json.postbacks.map((p: { verification: string }) => p.verification)).toEqual(['verified', 'invalid', 'verified', 'verified', 'verified']);
    const table = await runCli(['skan', 'list', '--app', appId, '--limit', '2'], server.db.env);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^received_at\s+kind\s+version\s+ad_network_id/);
    // The header, its rule and two rows.
    expect(table.stdout.trim().split('\n')).toHaveLength(4);
    expect(await runCli(['skan', 'list', '--app', appId, '--limit', '0'], server.db.env)).toMatchObject({ code: 1, stderr: 'error: --limit: at least 1\n' });
  });
});

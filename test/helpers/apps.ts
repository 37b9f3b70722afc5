import { expect } from 'vitest';
import { call, type TestServer } from './server.js';

let seq = 0;

/** An app with one campaign and one token, through the admin API; CTIT check off unless asked. */
export async function setupApp(server: TestServer, platform = 'ios', settings: Record<string, unknown> = { min_ctit_s: 0 }) {
  const app = (await call(`${server.url}/admin/apps`, { admin: true, body: { name: `app ${++seq}`, platform } })).body;
  await call(`${server.url}/admin/apps/${app.app_id}/settings`, { admin: true, method: 'PATCH', body: settings });
  const campaign = (await call(`${server.url}/admin/campaigns`, { admin: true, body: { app_id: app.app_id, network: 'chartboost', name: 'c' } })).body;
  const token = (await call(`${server.url}/admin/tokens`, { admin: true, body: { app_ids: [app.app_id] } })).body.token as string;
  return { app, campaign, token };
}

/** Records a click on a campaign without the redirect, and returns its id. */
export async function clickOn(server: TestServer, campaignId: string, query: Record<string, string> = {}): Promise<string> {
  const res = await call(`${server.url}/click?${new URLSearchParams({ campaign_id: campaignId, no_redirect: 'true', ...query })}`);
  expect(res.status).toBe(200);
  return res.body.id;
}

import type { Protocol } from '../context.js';
import { inAppEventRoute } from './inappevent.route.js';

/** AppsFlyer's S2S events API for mobile: `POST /inappevent/{app_id}`, the token in the `authentication` header. */
export const appsflyer: Protocol = {
  name: 'appsflyer',
  plugin: async (app, ctx) => {
    await app.register(inAppEventRoute, ctx);
  },
  credentials: { params: [], headers: ['authentication'] },
};

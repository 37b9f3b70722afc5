import type { Protocol } from '../context.js';
import { impressionRoute } from './impression.route.js';

/** AppLovin MAX's impression-level revenue postback: `GET /ad_revenue/max`, the token in the URL template. */
export const applovin: Protocol = {
  name: 'applovin',
  plugin: async (app, ctx) => {
    await app.register(impressionRoute, ctx);
  },
  credentials: { params: ['token'], headers: [] },
};

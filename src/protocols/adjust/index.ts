import type { Protocol } from '../context.js';
import { eventRoute } from './event.route.js';
import { sessionRoute } from './session.route.js';
import { adRevenueRoute } from './ad-revenue.route.js';

/** Adjust S2S (dev.adjust.com/en/api/s2s-api): `/event`, `/session` and `/ad_revenue`, the app named by its Adjust app token. */
export const adjust: Protocol = {
  name: 'adjust',
  plugin: async (app, ctx) => {
    await app.register(eventRoute, ctx);
    await app.register(sessionRoute, ctx);
    await app.register(adRevenueRoute, ctx);
  },
  credentials: { params: [], headers: ['authorization'] },
};

import type { Protocol } from '../context.js';
import { eventRoute } from './event.route.js';
import { sessionRoute } from './session.route.js';
import { adRevenueRoute } from './ad-revenue.route.js';
import { forgetRoute } from './forget.route.js';

/** Adjust S2S (dev.adjust.com/en/api/s2s-api): `/event`, `/session`, `/ad_revenue` and `/gdpr_forget_device`, the app named by its Adjust app token. */
export const adjust: Protocol = {
  name: 'adjust',
  plugin: async (app, ctx) => {
    await app.register(eventRoute, ctx);
    await app.register(sessionRoute, ctx);
    await app.register(adRevenueRoute, ctx);
    await app.register(forgetRoute, ctx);
  },
  credentials: { params: [], headers: ['authorization'] },
};

import type { Protocol } from '../context.js';
import { eventRoute } from './event.route.js';
import { sessionRoute } from './session.route.js';

/** Adjust S2S (dev.adjust.com/en/api/s2s-api): `/event` and `/session`, the app named by its Adjust app token. */
export const adjust: Protocol = {
  name: 'adjust',
  plugin: async (app, ctx) => {
    await app.register(eventRoute, ctx);
    await app.register(sessionRoute, ctx);
  },
  credentials: { params: [], headers: ['authorization'] },
};

import type { Protocol } from '../context.js';
import { clickRoute } from './click.route.js';
import { viewRoute } from './view.route.js';

/** The tracking links every network is given: `/click` and `/view` (Swaarm's web flow names an app by `s2stoken`). */
export const tracking: Protocol = {
  name: 'tracking',
  plugin: async (app, ctx) => {
    await app.register(clickRoute, ctx);
    await app.register(viewRoute, ctx);
  },
  credentials: { params: ['s2stoken'], headers: [] },
};

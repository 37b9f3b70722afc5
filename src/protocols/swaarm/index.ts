import type { Protocol } from '../context.js';
import { postbackRoute } from './postback.route.js';
import { s2sEventRoute } from './s2sevent.route.js';

/** Swaarm S2S: `/postback` and `/s2sevent` (seed 001); its click URL is the shared `/click`. */
export const swaarm: Protocol = {
  name: 'swaarm',
  plugin: async (app, ctx) => {
    await app.register(postbackRoute, ctx);
    await app.register(s2sEventRoute, ctx);
  },
  credentials: { params: ['token', 's2s_token'], headers: ['authorization'] },
};

import type { Protocol } from '../context.js';
import { v1InstallRoute } from './v1-install.route.js';
import { v2AttributedInstallRoute } from './v2-attributed-install.route.js';
import { v2OpenRoute } from './v2-open.route.js';
import { v3TrackRoute } from './v3-track.route.js';

/** Chartboost S2S: v2 attribution and open (seed 000), v3 track (seed 003), v1 install (seed 004). */
export const chartboost: Protocol = {
  name: 'chartboost',
  plugin: async (app, ctx) => {
    await app.register(v1InstallRoute, ctx);
    await app.register(v2AttributedInstallRoute, ctx);
    await app.register(v2OpenRoute, ctx);
    await app.register(v3TrackRoute, ctx);
  },
  credentials: { params: ['token'], headers: ['x-chartboost-token', 'x-chartboost-signature'] },
};

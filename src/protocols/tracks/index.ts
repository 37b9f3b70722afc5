import type { Protocol } from '../context.js';
import { measureRoute } from './measure.route.js';

/** TRACKS `POST /measure` (seed 002): PC and console events, one or a batch. */
export const tracks: Protocol = {
  name: 'tracks',
  plugin: async (app, ctx) => {
    await app.register(measureRoute, ctx);
  },
  credentials: { params: [], headers: ['authorization'] },
};

import type { Protocol } from '../context.js';
import { postbackRoutes } from './postback.route.js';

/** Apple's SKAdNetwork and AdAttributionKit postbacks: the developer's copies, and those networks forward. */
export const apple: Protocol = {
  name: 'apple',
  plugin: async (app, ctx) => {
    await app.register(postbackRoutes, ctx);
  },
  credentials: { params: [], headers: ['authorization'] },
};

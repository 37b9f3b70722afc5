import { adjust } from './adjust/index.js';
import { apple } from './apple/index.js';
import { applovin } from './applovin/index.js';
import { appsflyer } from './appsflyer/index.js';
import { chartboost } from './chartboost/index.js';
import type { Protocol } from './context.js';
import { swaarm } from './swaarm/index.js';
import { tracking } from './tracking/index.js';
import { tracks } from './tracks/index.js';

/** Every wire protocol the server speaks: app.ts registers each, the logger redacts their credentials. */
export const PROTOCOLS: readonly Protocol[] = [tracking, swaarm, tracks, chartboost, adjust, appsflyer, applovin, apple];

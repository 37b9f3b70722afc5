/** chartboost-pia (seed 004, Post-Install Analytics): purchases of the network's users, signed, with the iap object. */
import { CHARTBOOST_ANSWERS } from '../../client/index.js';
import { chartboostClient, chartboostCredentials, storedBaseUrl } from './chartboost.js';
import { sameNetwork, type PostbackFormatSpec } from './format-spec.js';

export const chartboostPia: PostbackFormatSpec<'chartboost-pia'> = {
  name: 'chartboost-pia',
  defaultEvents: ['purchase'],
  credentials: chartboostCredentials('chartboost-pia', { signed: true }),
  answers: CHARTBOOST_ANSWERS.track,
  storedUrl: storedBaseUrl,
  build(postback, trigger, ctx) {
    const d = ctx.deviceIds;
    if (trigger.kind !== 'event' || trigger.event.kind !== 'purchase' || !sameNetwork(postback, ctx.install)) return undefined;
    const e = trigger.event;
    if (Object.keys(d).length === 0 || e.revenue === null) return undefined;
    return chartboostClient(postback, ctx).track({
      app_id: ctx.app.app_id,
      ifa: d.idfa,
      gaid: d.gaid,
      fire_adid: d.fire_adid,
      uuid: d.uuid,
      iap: { product_id: e.product_id ?? e.name, price: e.revenue, currency: e.currency ?? 'USD' },
      ...ctx.clickRef,
      match_type: ctx.install?.match_type,
    });
  },
};

/**
 * chartboost-v1 (seed 004): every install, signed, to install.json: claim=1 when attributed to
 * the network, else claim=0 with organic and attributed_to.
 */
import { CHARTBOOST_ANSWERS } from '../../client/index.js';
import { chartboostClient, chartboostCredentials, storedBaseUrl } from './chartboost.js';
import { sameNetwork, type PostbackFormatSpec } from './format-spec.js';

export const chartboostV1: PostbackFormatSpec<'chartboost-v1'> = {
  name: 'chartboost-v1',
  defaultEvents: ['install'],
  credentials: chartboostCredentials('chartboost-v1', { signed: true }),
  // install.json always answers HTTP 200, with the real status in the body.
  answers: CHARTBOOST_ANSWERS.install,
  storedUrl: storedBaseUrl,
  build(postback, trigger, ctx) {
    const d = ctx.deviceIds;
    if (trigger.kind !== 'install') return undefined;
    if (d.gaid === undefined && d.idfa === undefined && d.uuid === undefined) return undefined;
    const inst = trigger.install;
    const claim = sameNetwork(postback, ctx.install) && inst.status === 'attributed' ? 1 : 0;
    return chartboostClient(postback, ctx).install({
      app_id: ctx.app.app_id,
      claim,
      gaid: d.gaid,
      ifa: d.idfa,
      uuid: d.uuid,
      organic: inst.status === 'organic' ? 1 : 0,
      attributed_to: claim === 0 && inst.status !== 'organic' ? (inst.network ?? undefined) : undefined,
      timestamp: Math.floor(inst.installed_at / 1000),
    });
  },
};

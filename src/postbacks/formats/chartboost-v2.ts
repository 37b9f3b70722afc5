/**
 * chartboost-v2 (seed 003): each install attributed to the network as an attributed_install with
 * its own click or view id, and the opens of every device of the app (retention and negative
 * targeting), a rejected install as an open with its reason.
 */
import { CHARTBOOST_ANSWERS, type ChartboostClient, type OutboundRequest } from '../../client/index.js';
import type { InstallRow } from '../../domain/entities.js';
import { chartboostClient, chartboostCredentials, storedBaseUrl } from './chartboost.js';
import { sameNetwork, type PostbackFormatSpec, type TriggerContext } from './format-spec.js';

export const chartboostV2: PostbackFormatSpec<'chartboost-v2'> = {
  name: 'chartboost-v2',
  defaultEvents: ['install', 'open'],
  credentials: chartboostCredentials('chartboost-v2', { signed: false }),
  // attributed_install is judged as open is: by the HTTP status.
  answers: CHARTBOOST_ANSWERS.open,
  storedUrl: storedBaseUrl,
  build(postback, trigger, ctx) {
    const install = ctx.install;
    const client = chartboostClient(postback, ctx);
    // Chartboost's API has no re-engagement; the user's opens go out as opens all the same.
    // Nor does it hear back of a rejection it sent itself (a later rejection comes from the network).
    if (trigger.kind === 'engagement' || trigger.kind === 'rejection') return undefined;
    if (trigger.kind === 'install') {
      if (!sameNetwork(postback, install) || install === undefined) return undefined;
      // A rejected install goes to the open endpoint with its reason (seed 003).
      if (install.status === 'rejected') return openRequest(client, ctx, install);
      if (ctx.clickRef.click_id === undefined && ctx.clickRef.completed_view_id === undefined) return undefined;
      return client.attributedInstall(ctx.clickRef.click_id !== undefined ? { click_id: ctx.clickRef.click_id } : ctx.clickRef);
    }
    // Opens of every device, attributed or not: retention and negative targeting.
    return openRequest(client, ctx, install);
  },
};

function openRequest(client: ChartboostClient, ctx: TriggerContext, install: InstallRow | undefined): OutboundRequest | undefined {
  const d = ctx.deviceIds;
  if (d.idfa === undefined && d.gaid === undefined && d.uuid === undefined && d.fire_adid === undefined) return undefined;
  const rejected = install?.status === 'rejected';
  return client.open({
    app_id: ctx.app.app_id,
    idfa: d.idfa,
    gaid: d.gaid,
    uuid: d.uuid,
    fire_adid: d.fire_adid,
    ...(install && install.status !== 'organic' ? ctx.clickRef : {}),
    rejected_reason: rejected ? (install.rejected_reason ?? undefined) : undefined,
    rejected_value: rejected ? (install.rejected_value ?? undefined) : undefined,
    match_type: install?.match_type,
  });
}

import { newId } from '../domain/ids.js';
import type { DeliveryRow, InstallRow, PostbackRow, Touchpoint } from '../domain/entities.js';
import type { RecordTx } from '../storage/store.js';
import { buildRequests, type Postback, type Trigger, type TriggerContext } from './formats/index.js';

/** A stored postback as the formats see it. */
export function toPostback(row: PostbackRow): Postback {
  return {
    postback_id: row.postback_id,
    app_id: row.app_id,
    network: row.network,
    format: row.format,
    url: row.url,
    token: row.token,
    secret: row.secret,
    app_signature: row.app_signature,
    events: row.events ? row.events.split(',') : null,
    batch_size: row.batch_size,
    created_at: new Date(row.created_at).toISOString(),
  };
}

/** The network's id for the touch an install is credited to (else ours), as postbacks send it. */
export function clickRefOf(install: InstallRow | undefined, touch: Touchpoint | undefined): TriggerContext['clickRef'] {
  if (!install?.touchpoint_id) return {};
  const id = touch?.network_click_id ?? install.touchpoint_id;
  const kind = touch?.kind ?? (install.match_type === 'view_id' ? 'view' : 'click');
  return kind === 'view' ? { completed_view_id: id } : { click_id: id };
}

/**
 * Writes the deliveries a trigger causes into the outbox, inside the caller's transaction: the
 * install or event and the postbacks it owes commit together or not at all.
 */
export async function enqueuePostbacks(
  tx: RecordTx,
  postbacks: Postback[],
  trigger: Trigger,
  ctx: Omit<TriggerContext, 'clickRef'>,
  options: { now: number; ttlMs: number },
): Promise<number> {
  if (postbacks.length === 0) return 0;
  const touch = ctx.install?.touchpoint_id ? await tx.getTouchpoint(ctx.install.touchpoint_id) : undefined;
  const full: TriggerContext = { ...ctx, clickRef: clickRefOf(ctx.install, touch) };
  const rows: DeliveryRow[] = [];
  for (const postback of postbacks) {
    for (const queued of buildRequests(postback, trigger, full)) {
      rows.push({
        delivery_id: newId(options.now),
        postback_id: postback.postback_id,
        app_id: postback.app_id,
        trigger: queued.trigger,
        method: queued.request.method,
        url: queued.request.url,
        headers: JSON.stringify(queued.request.headers),
        body: queued.request.body ?? null,
        status: 'pending',
        attempts: 0,
        next_attempt_at: options.now,
        claimed_until: null,
        created_at: options.now,
        expires_at: options.now + options.ttlMs,
        finished_at: null,
        last_status: null,
        last_error: null,
        dedup_key: queued.cause,
        answer_rule: queued.request.answers ?? null,
      });
    }
  }
  return tx.insertDeliveries(rows);
}

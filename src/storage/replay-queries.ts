/**
 * What-if windows (ReplayStore): the installs of a range with their users' device ids, a page at
 * a time, and the rewrite of their attribution in one transaction (`s2s reattribute --apply`).
 */
import type { Kysely } from 'kysely';
import { DEVICE_ID_KINDS, type DeviceIds } from '../domain/devices.js';
import type { InstallRow } from '../domain/entities.js';
import { INSTALL_COLUMNS, type Database } from './schema.js';
import type { ReplayStore } from './store.js';

const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function replayQueries(db: Kysely<Database>): ReplayStore {
  return {
    async replayInstalls(appId, since, until, after, limit) {
      let query = db.selectFrom('installs').select(INSTALL_COLUMNS).where('app_id', '=', appId).where('kind', 'in', ['install', 'reinstall']).where('installed_at', '<', until);
      // One lower bound on the time (export-queries.ts says why).
      query = after
        ? query.where('installed_at', '>=', Math.max(since, after.time)).where((eb) => eb.or([eb('installed_at', '>', after.time), eb('install_id', '>', after.id)]))
        : query.where('installed_at', '>=', since);
      const rows = await query.orderBy('installed_at').orderBy('install_id').limit(limit).execute();
      const installs = rows.map((i) => ({ ...i, installed_at: Number(i.installed_at), touched_at: n(i.touched_at) }) as InstallRow);
      const users = [...new Set(installs.map((i) => i.user_pk))];
      const devices = new Map<string, DeviceIds>();
      if (users.length > 0) {
        const identities = await db.selectFrom('user_identities').select(['user_pk', 'kind', 'value']).where('user_pk', 'in', users).where('kind', 'in', [...DEVICE_ID_KINDS]).execute();
        for (const id of identities) {
          const ids = devices.get(id.user_pk) ?? {};
          ids[id.kind as keyof DeviceIds] = id.value;
          devices.set(id.user_pk, ids);
        }
      }
      return installs.map((install) => ({ install, deviceIds: devices.get(install.user_pk) ?? {} }));
    },

    async reattributeInstalls(changes) {
      if (changes.length === 0) return 0;
      return db.transaction().execute(async (trx) => {
        let rewritten = 0;
        for (const { installId, from, to } of changes) {
          // Only if it is still as the replay read it (a network may have rejected it since).
          let update = trx
            .updateTable('installs')
            .set({ status: to.status, match_type: to.match_type, campaign_id: to.campaign_id, network: to.network, touchpoint_id: to.touchpoint_id, touched_at: to.touched_at, rejected_reason: to.rejected_reason, rejected_value: to.rejected_value })
            .where('install_id', '=', installId)
            .where('status', '=', from.status);
          update = from.touchpoint_id === null ? update.where('touchpoint_id', 'is', null) : update.where('touchpoint_id', '=', from.touchpoint_id);
          rewritten += Number((await update.executeTakeFirst()).numUpdatedRows);
        }
        return rewritten;
      });
    },
  };
}

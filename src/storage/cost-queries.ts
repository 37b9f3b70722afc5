/** Costs by day and campaign (CostStore): written a day at a time, read by reports. */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { CostStore } from './store.js';

/** Rows per insert statement: 9 parameters a row stays well under either database's limit. */
const CHUNK = 500;

export function costQueries(db: Kysely<Database>): CostStore {
  return {
    async replaceCosts(appId, days, rows) {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < days.length; i += CHUNK) {
          await trx.deleteFrom('costs').where('app_id', '=', appId).where('day', 'in', days.slice(i, i + CHUNK)).execute();
        }
        for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('costs').values(rows.slice(i, i + CHUNK)).execute();
      });
    },

    async listCosts(appId, fromDay, toDay) {
      const rows = await db
        .selectFrom('costs')
        .selectAll()
        .where('app_id', '=', appId)
        .where('day', '>=', fromDay)
        .where('day', '<=', toDay)
        .orderBy('day')
        .orderBy('campaign_id')
        .execute();
      return rows.map((r) => ({ ...r, day: Number(r.day), impressions: r.impressions === null ? null : Number(r.impressions), clicks: r.clicks === null ? null : Number(r.clicks), updated_at: Number(r.updated_at) }));
    },
  };
}

/**
 * Exports (ExportStore): a page of one kind's rows at a time, by keyset on (time, id) over the
 * index each table has on its app and time, so a page costs the same at the start of 10 million
 * rows as at the end, and nothing is held between pages.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { ExportStore, ExportType } from './store.js';

const TABLES: Record<ExportType, { table: keyof Database & string; time: string; id: string }> = {
  installs: { table: 'installs', time: 'installed_at', id: 'install_id' },
  events: { table: 'events', time: 'occurred_at', id: 'event_pk' },
  touchpoints: { table: 'touchpoints', time: 'created_at', id: 'touchpoint_id' },
  deliveries: { table: 'deliveries', time: 'created_at', id: 'delivery_id' },
  skan: { table: 'skan_postbacks', time: 'received_at', id: 'postback_pk' },
};

export function exportQueries(db: Kysely<Database>): ExportStore {
  return {
    async exportPage(q) {
      const { table, time, id } = TABLES[q.type];
      const t = sql.ref(time);
      const key = sql.ref(id);
      const owner =
        q.type !== 'touchpoints' || q.campaignId === undefined
          ? sql`app_id = ${q.appId}`
          : q.campaignId === null
            ? sql`app_id = ${q.appId} and campaign_id is null`
            : sql`campaign_id = ${q.campaignId}`;
      // One lower bound on the time: given two, SQLite ranges the index from the first and
      // filters by the second, so each page would cost more than the one before.
      const lower = q.after ? Math.max(q.since, q.after.time) : q.since;
      const after = q.after ? sql`and (${t} > ${q.after.time} or ${key} > ${q.after.id})` : sql``;
      const columns = sql.join(q.columns.map((c) => sql.ref(c)));
      const result = await sql<Record<string, unknown>>`
        select ${columns}, ${t} as export_time, ${key} as export_id from ${sql.table(table)}
        where ${owner} and ${t} >= ${lower} and ${t} < ${q.until} ${after}
        order by ${t}, ${key} limit ${q.limit}`.execute(db);
      const rows = result.rows;
      const tail = rows.at(-1);
      const last = tail === undefined ? undefined : { time: Number(tail.export_time), id: String(tail.export_id) };
      for (const row of rows) {
        delete row.export_time;
        delete row.export_id;
      }
      return { rows, last };
    },
  };
}

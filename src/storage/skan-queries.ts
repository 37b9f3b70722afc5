/** Apple's postbacks as stored (SkanStore): ingest writes them (batch-sql.ts), this lists them. */
import type { Kysely } from 'kysely';
import type { SkanPostbackRow } from '../domain/entities.js';
import type { Database } from './schema.js';
import type { SkanStore } from './store.js';

const NUMBERS = ['received_at', 'sequence_index', 'fidelity_type', 'redownload', 'did_win', 'conversion_value'] as const;

export function skanQueries(db: Kysely<Database>): SkanStore {
  return {
    async listSkanPostbacks(appId, limit) {
      const rows = await db.selectFrom('skan_postbacks').selectAll().where('app_id', '=', appId).orderBy('received_at', 'desc').orderBy('postback_pk', 'desc').limit(limit).execute();
      // PostgreSQL reads bigints back as strings.
      return rows.map((row): SkanPostbackRow => {
        const out = { ...row };
        for (const column of NUMBERS) if (out[column] !== null) (out as Record<string, unknown>)[column] = Number(out[column]);
        return out;
      });
    },
  };
}

/** Apple's postbacks as stored (SkanStore): ingest writes them (batch-sql.ts); this lists, maps and counts them. */
import type { Kysely } from 'kysely';
import type { SkanPostbackRow } from '../domain/entities.js';
import type { ConversionMeaning, ConversionSchema } from '../domain/skan-report.js';
import type { Database } from './schema.js';
import type { SkanStore } from './store.js';

const NUMBERS = ['received_at', 'sequence_index', 'fidelity_type', 'redownload', 'did_win', 'conversion_value'] as const;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

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

    async setSkanMapping(appId, adNetworkId, sourceIdentifier, campaignId) {
      const where = { app_id: appId, ad_network_id: adNetworkId, source_identifier: sourceIdentifier };
      if (campaignId === null) {
        await db.deleteFrom('skan_campaign_map').where('app_id', '=', appId).where('ad_network_id', '=', adNetworkId).where('source_identifier', '=', sourceIdentifier).execute();
        return;
      }
      await db
        .insertInto('skan_campaign_map')
        .values({ ...where, campaign_id: campaignId })
        .onConflict((oc) => oc.columns(['app_id', 'ad_network_id', 'source_identifier']).doUpdateSet({ campaign_id: campaignId }))
        .execute();
    },

    listSkanMappings(appId) {
      return db.selectFrom('skan_campaign_map').select(['ad_network_id', 'source_identifier', 'campaign_id']).where('app_id', '=', appId).orderBy('ad_network_id').orderBy('source_identifier').execute();
    },

    async replaceSkanSchema(appId, schema) {
      const rows = (['fine', 'coarse'] as const).flatMap((kind) => Object.entries(schema[kind]).map(([value, m]) => ({ app_id: appId, kind, value, ...m })));
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('skan_conversion_schema').where('app_id', '=', appId).execute();
        if (rows.length > 0) await trx.insertInto('skan_conversion_schema').values(rows).execute();
      });
    },

    async getSkanSchema(appId) {
      const schema: ConversionSchema = { fine: {}, coarse: {} };
      const rows = await db.selectFrom('skan_conversion_schema').selectAll().where('app_id', '=', appId).execute();
      for (const r of rows) {
        const meaning: ConversionMeaning = { event: r.event, revenue_min_usd: num(r.revenue_min_usd), revenue_max_usd: num(r.revenue_max_usd) };
        schema[r.kind === 'coarse' ? 'coarse' : 'fine'][r.value] = meaning;
      }
      return schema;
    },

    async countSkanPostbacks(appId, from, until) {
      const rows = await db
        .selectFrom('skan_postbacks')
        .select(['ad_network_id', 'source_identifier', 'sequence_index', 'did_win', 'fidelity_type', 'conversion_type', 'conversion_value', 'coarse_conversion_value'])
        .select((eb) => eb.fn.countAll<number>().as('postbacks'))
        .where('app_id', '=', appId)
        .where('verification', '=', 'verified')
        .where('received_at', '>=', from)
        .where('received_at', '<', until)
        .groupBy(['ad_network_id', 'source_identifier', 'sequence_index', 'did_win', 'fidelity_type', 'conversion_type', 'conversion_value', 'coarse_conversion_value'])
        .execute();
      return rows.map((r) => ({
        ad_network_id: r.ad_network_id,
        source_identifier: r.source_identifier,
        sequence_index: Number(r.sequence_index),
        did_win: num(r.did_win),
        fidelity_type: num(r.fidelity_type),
        conversion_type: r.conversion_type,
        conversion_value: num(r.conversion_value),
        coarse_conversion_value: r.coarse_conversion_value,
        postbacks: Number(r.postbacks),
      }));
    },
  };
}

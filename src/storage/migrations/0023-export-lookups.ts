import { sql, type Kysely } from 'kysely';

// Exports read touchpoints campaign by campaign (touchpoints_campaign_idx); the clicks that
// credit no campaign (Swaarm's web flow) are found by app and time here. A partial index: a
// campaign's click, the common one, does not touch it.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('touchpoints_campaignless_idx')
    .on('touchpoints')
    .columns(['app_id', 'created_at'])
    .where(sql.ref('campaign_id'), 'is', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('touchpoints_campaignless_idx').execute();
}

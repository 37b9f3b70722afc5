import { sql, type Kysely } from 'kysely';

// Clicks and completed views share one table: attribution asks the same questions of both
// (by id, by device id, by IP within a window) and a click simply outranks a view.

const DEVICE_COLUMNS = ['idfa', 'gaid', 'uuid', 'fire_adid'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('touchpoints')
    .addColumn('touchpoint_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    // Null for a click minted without a campaign (Swaarm's `click?no_redirect=true&s2stoken=`
    // web flow): it identifies a visitor but credits no one.
    .addColumn('campaign_id', 'text')
    .addColumn('network', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text');
  for (const column of [...DEVICE_COLUMNS, 'platform', 'storefront', 'site_id', 'publisher', 'creative', 'sub1', 'sub2', 'sub3', 'sub4', 'sub5']) {
    table = table.addColumn(column, 'text');
  }
  await table.execute();

  // Every attribution lookup is "this app, this key, newest first inside a window": one
  // partial index per key keeps that a short range scan however long history grows.
  for (const column of [...DEVICE_COLUMNS, 'ip']) {
    await db.schema
      .createIndex(`touchpoints_${column}_idx`)
      .on('touchpoints')
      .columns(['app_id', column, 'created_at'])
      .where(sql.ref(column), 'is not', null)
      .execute();
  }
  await db.schema.createIndex('touchpoints_campaign_idx').on('touchpoints').columns(['campaign_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('touchpoints').execute();
}

import type { Kysely } from 'kysely';

// Re-engagement and reattribution (domain/engagement.ts). A campaign has a kind: `acquisition`
// (every campaign so far) or `retargeting`. Apps and campaigns gain the re-engagement windows,
// apps the inactivity period and whether re-engagements may be matched by IP. An engagement is
// stored as a row of `installs` with kind `re-engagement` or `reattribution` (no unique index
// covers those kinds), with its own summary of the events it is credited; the user points at
// its running engagement, so a later event finds it without a lookup.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('campaigns').addColumn('kind', 'text', (c) => c.notNull().defaultTo('acquisition')).execute();
  for (const table of ['apps', 'campaigns']) {
    for (const column of ['re_engagement_window_s', 're_engagement_attribution_window_s']) {
      await db.schema.alterTable(table).addColumn(column, 'integer').execute();
    }
  }
  await db.schema.alterTable('apps').addColumn('inactivity_window_s', 'integer').execute();
  await db.schema.alterTable('apps').addColumn('re_engagement_probabilistic', 'integer').execute();
  await db.schema.alterTable('users').addColumn('engagement_id', 'text').execute();
  await db.schema.alterTable('users').addColumn('engaged_until', 'bigint').execute();
  // What "has retargeting" asks for every app the catalog loads.
  await db.schema.createIndex('campaigns_app_kind').on('campaigns').columns(['app_id', 'kind']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('campaigns_app_kind').execute();
  for (const column of ['engagement_id', 'engaged_until']) await db.schema.alterTable('users').dropColumn(column).execute();
  for (const column of ['inactivity_window_s', 're_engagement_probabilistic']) await db.schema.alterTable('apps').dropColumn(column).execute();
  for (const table of ['apps', 'campaigns']) {
    for (const column of ['re_engagement_window_s', 're_engagement_attribution_window_s']) await db.schema.alterTable(table).dropColumn(column).execute();
  }
  await db.schema.alterTable('campaigns').dropColumn('kind').execute();
}

import { sql, type Kysely } from 'kysely';

// Users, their installs and what they do after. A user is known within an app by any of its
// identities (device ids, the sender's user id); one install per user is guaranteed by a
// unique index, not by application locks, so concurrent servers cannot double-count.

export async function up(db: Kysely<unknown>): Promise<void> {
  // Per-app attribution windows and fraud rules (null: the documented default).
  for (const column of ['click_window_s', 'view_window_s', 'probabilistic_window_s', 'min_ctit_s', 'max_installs_per_ip', 'reinstall_after_days']) {
    await db.schema.alterTable('apps').addColumn(column, 'integer').execute();
  }
  await db.schema.alterTable('apps').addColumn('blocked_cidrs', 'text').execute();
  for (const column of ['click_window_s', 'view_window_s', 'probabilistic_window_s']) {
    await db.schema.alterTable('campaigns').addColumn(column, 'integer').execute();
  }

  await db.schema
    .createTable('users')
    .addColumn('user_pk', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('user_identities')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('user_pk', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('user_identities_pk', ['app_id', 'kind', 'value'])
    .execute();
  await db.schema.createIndex('user_identities_user_idx').on('user_identities').column('user_pk').execute();

  await db.schema
    .createTable('installs')
    .addColumn('install_id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('user_pk', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // install | reinstall
    .addColumn('installed_at', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // attributed | organic | rejected
    .addColumn('match_type', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text')
    .addColumn('network', 'text')
    .addColumn('touchpoint_id', 'text')
    .addColumn('touched_at', 'bigint')
    .addColumn('rejected_reason', 'text')
    .addColumn('rejected_value', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('platform', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('installs_one_per_user')
    .unique()
    .on('installs')
    .columns(['app_id', 'user_pk'])
    .where(sql.ref('kind'), '=', 'install')
    .execute();
  await db.schema.createIndex('installs_app_time_idx').on('installs').columns(['app_id', 'installed_at']).execute();
  await db.schema
    .createIndex('installs_ip_idx')
    .on('installs')
    .columns(['app_id', 'ip', 'installed_at'])
    .where(sql.ref('ip'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('installs_touchpoint_idx')
    .on('installs')
    .column('touchpoint_id')
    .where(sql.ref('touchpoint_id'), 'is not', null)
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('event_pk', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('user_pk', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull()) // open | event | purchase
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'bigint', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('revenue', 'double precision')
    .addColumn('currency', 'text')
    .addColumn('aggregated_value', 'double precision')
    .addColumn('event_value', 'text')
    .addColumn('product_id', 'text')
    .addColumn('ip', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text')
    .execute();
  await db.schema
    .createIndex('events_dedup_idx')
    .unique()
    .on('events')
    .columns(['app_id', 'dedup_key'])
    .where(sql.ref('dedup_key'), 'is not', null)
    .execute();
  await db.schema.createIndex('events_app_time_idx').on('events').columns(['app_id', 'occurred_at']).execute();
  await db.schema.createIndex('events_user_idx').on('events').columns(['user_pk', 'occurred_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('events').execute();
  await db.schema.dropTable('installs').execute();
  await db.schema.dropTable('user_identities').execute();
  await db.schema.dropTable('users').execute();
}

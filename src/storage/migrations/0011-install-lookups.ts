import { sql, type Kysely } from 'kysely';

// Every install wrote a random page of two indexes that almost nothing read: `installs_ip_idx`
// (app, ip, time), read only by the max-installs-per-IP fraud rule, which is off by default;
// and `installs_touchpoint_idx`, read only when a Chartboost open rejects an install. Together
// they were half of the WAL pages of an attributed install's commit (docs/performance.md).
//
// - The IP rule now counts `counted_ip`: the install's IP, kept only while its app has the rule
//   on (switching it on fills in the last day, see `updateAppSettings`). Apps that have it on
//   get theirs filled in here.
// - A rejection names the rejecting user's installs, found by (app, user), which for a new
//   user is an append to the end of `installs_user_idx`.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('installs').addColumn('counted_ip', 'text').execute();
  await sql`update installs set counted_ip = ip
    where ip is not null and app_id in (select app_id from apps where max_installs_per_ip is not null)`.execute(db);
  await db.schema
    .createIndex('installs_counted_ip_idx')
    .on('installs')
    .columns(['app_id', 'counted_ip', 'installed_at'])
    .where(sql.ref('counted_ip'), 'is not', null)
    .execute();
  await db.schema.createIndex('installs_user_idx').on('installs').columns(['app_id', 'user_pk']).execute();
  await db.schema.dropIndex('installs_ip_idx').execute();
  await db.schema.dropIndex('installs_touchpoint_idx').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
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
  await db.schema.dropIndex('installs_user_idx').execute();
  await db.schema.dropIndex('installs_counted_ip_idx').execute();
  await db.schema.alterTable('installs').dropColumn('counted_ip').execute();
}

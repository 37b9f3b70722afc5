import type { Kysely } from 'kysely';

// The names another tracker's integration already uses for an app and its events, so that a
// studio moving its server-to-server traffic here keeps sending what it sends today: Adjust's
// app token (`app_token=4w565xzmb54d`) names the app, its event tokens (`event_token=f0ob4r`)
// name events. `protocol` is the wire protocol that reads them (`adjust`); an alias names one
// app per protocol, and an app has at most one alias per protocol.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('app_aliases')
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_aliases_pk', ['protocol', 'alias'])
    .execute();
  await db.schema.createIndex('app_aliases_app_idx').unique().on('app_aliases').columns(['app_id', 'protocol']).execute();
  await db.schema
    .createTable('event_aliases')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('protocol', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('event_name', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('event_aliases_pk', ['app_id', 'protocol', 'alias'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('event_aliases').execute();
  await db.schema.dropTable('app_aliases').execute();
}

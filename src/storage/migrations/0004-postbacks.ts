import { sql, type Kysely } from 'kysely';

// Outbound postbacks: what to send where (postbacks), the outbox of requests to send
// (deliveries, written in the same transaction as the install or event that causes them), and
// every attempt made (delivery_attempts).

export async function up(db: Kysely<unknown>): Promise<void> {
  // The network's own click id, when its callback passed one: postbacks send it back.
  await db.schema.alterTable('touchpoints').addColumn('network_click_id', 'text').execute();

  await db.schema
    .createTable('postbacks')
    .addColumn('postback_id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('token', 'text')
    .addColumn('secret', 'text')
    .addColumn('app_signature', 'text')
    .addColumn('events', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('removed_at', 'bigint')
    .execute();
  await db.schema.createIndex('postbacks_app_idx').on('postbacks').column('app_id').execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('postback_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull()) // install | open | purchase | <event name>
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull()) // JSON object
    .addColumn('body', 'text')
    .addColumn('status', 'text', (c) => c.notNull()) // pending | delivered | failed | dead
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('claimed_until', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    // One delivery per postback and cause: a retried inbound request never queues it twice.
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('deliveries_dedup_idx').unique().on('deliveries').columns(['postback_id', 'dedup_key']).execute();
  await db.schema
    .createIndex('deliveries_due_idx')
    .on('deliveries')
    .columns(['next_attempt_at'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  await db.schema.createIndex('deliveries_app_idx').on('deliveries').columns(['app_id', 'created_at']).execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('attempt_id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('response_start', 'text')
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('delivery_attempts_delivery_idx').on('delivery_attempts').columns(['delivery_id', 'attempted_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('delivery_attempts').execute();
  await db.schema.dropTable('deliveries').execute();
  await db.schema.dropTable('postbacks').execute();
}

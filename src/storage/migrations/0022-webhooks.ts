import type { Kysely } from 'kysely';

// Event webhooks (postbacks/formats/webhook.ts) are postbacks of the format `webhook`: the same
// outbox, retries and delivery log. A webhook may carry up to `batch_size` records a request.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('postbacks').addColumn('batch_size', 'integer').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('postbacks').dropColumn('batch_size').execute();
}

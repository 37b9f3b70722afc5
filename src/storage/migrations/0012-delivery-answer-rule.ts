import type { Kysely } from 'kysely';

// How a delivery's answers are judged (client/index.ts AnswerRule): null by the HTTP status;
// 'body-status' by the `status` in the JSON body, as Chartboost v1 install.json answers (it
// always answers HTTP 200, seed 004). The outbox row carries it, so the dispatcher judges a
// delivery by the rule it was queued with, even after its postback is removed.

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').addColumn('answer_rule', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deliveries').dropColumn('answer_rule').execute();
}

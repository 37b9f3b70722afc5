/** The outbox's queries (OutboxStore): deliveries claimed, attempted, listed and retried. */
import type { Kysely } from 'kysely';
import type { DeliveryAttemptRow, DeliveryRow } from '../domain/entities.js';
import type { DialectHooks } from './dialect.js';
import type { Database } from './schema.js';
import type { DeliveryUpdate, OutboxStore } from './store.js';

/** Rows a statement writes at most (7 values an attempt: well under either database's parameter limit). */
const CHUNK = 500;

/** The OutboxStore over one database; claims lock rows where the dialect can skip locked ones. */
export function outboxQueries(db: Kysely<Database>, hooks: Pick<DialectHooks, 'skipLocked'>): OutboxStore {
  const outbox: OutboxStore = {
    async claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
      return db.transaction().execute(async (trx) => {
        let due = trx
          .selectFrom('deliveries')
          .select('delivery_id')
          .where('status', '=', 'pending')
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
          .orderBy('next_attempt_at')
          .limit(limit);
        if (hooks.skipLocked) due = due.forUpdate().skipLocked();
        const ids = (await due.execute()).map((r) => r.delivery_id);
        if (ids.length === 0) return [];
        return trx.updateTable('deliveries').set({ claimed_until: now + leaseMs }).where('delivery_id', 'in', ids).returningAll().execute();
      });
    },

    async recordAttempts(entries): Promise<void> {
      if (entries.length === 0) return;
      // Deliveries sent together mostly share their new state: one update for each distinct one.
      const byUpdate = new Map<string, { update: DeliveryUpdate; ids: string[] }>();
      for (const { attempt, update } of entries) {
        const key = JSON.stringify(update);
        const group = byUpdate.get(key) ?? { update, ids: [] };
        group.ids.push(attempt.delivery_id);
        byUpdate.set(key, group);
      }
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < entries.length; i += CHUNK) {
          await trx.insertInto('delivery_attempts').values(entries.slice(i, i + CHUNK).map((e) => e.attempt)).execute();
        }
        for (const { update, ids } of byUpdate.values()) {
          for (let i = 0; i < ids.length; i += CHUNK) {
            // Only while still pending: a stale send never turns a delivered one back.
            await trx.updateTable('deliveries').set({ ...update, claimed_until: null }).where('delivery_id', 'in', ids.slice(i, i + CHUNK)).where('status', '=', 'pending').execute();
          }
        }
      });
    },

    async releaseClaims(deliveryIds: string[]): Promise<void> {
      if (deliveryIds.length === 0) return;
      await db.updateTable('deliveries').set({ claimed_until: null }).where('delivery_id', 'in', deliveryIds).execute();
    },

    async listDeliveries(filter: { appId?: string; postbackId?: string; status?: DeliveryRow['status']; limit: number }): Promise<DeliveryRow[]> {
      let query = db.selectFrom('deliveries').selectAll();
      if (filter.appId !== undefined) query = query.where('app_id', '=', filter.appId);
      if (filter.postbackId !== undefined) query = query.where('postback_id', '=', filter.postbackId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      return query.orderBy('created_at', 'desc').orderBy('delivery_id', 'desc').limit(filter.limit).execute();
    },

    getDelivery(deliveryId: string): Promise<DeliveryRow | undefined> {
      return db.selectFrom('deliveries').selectAll().where('delivery_id', '=', deliveryId).executeTakeFirst();
    },

    listAttempts(deliveryId: string): Promise<DeliveryAttemptRow[]> {
      return db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('attempted_at').orderBy('attempt_id').execute();
    },

    async retryDelivery(deliveryId: string, now: number, ttlMs: number): Promise<DeliveryRow | undefined> {
      await db
        .updateTable('deliveries')
        .set({ status: 'pending', next_attempt_at: now, expires_at: now + ttlMs, finished_at: null, claimed_until: null })
        .where('delivery_id', '=', deliveryId)
        .where('status', '!=', 'delivered')
        .execute();
      return outbox.getDelivery(deliveryId);
    },

    async countDeliveries(): Promise<Record<DeliveryRow['status'], number>> {
      const rows = await db
        .selectFrom('deliveries')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      const counts = { pending: 0, delivered: 0, failed: 0, dead: 0 };
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },
  };
  return outbox;
}

/**
 * Erasure (ErasureStore): a user's personal data removed at its owner's request, in one
 * transaction, on both databases. The user is found by any of the named ids; then every row
 * holding any of its ids goes:
 * - its identities, its events (and their dedup keys), the touchpoints carrying one of its
 *   device ids or credited with its installs (and their idempotency keys), the outbox entries
 *   its installs, re-engagements, rejections and events caused (found by their cause, `install:`, `rejection:` / `event:`
 *   and the id: exact, however short a user id is), and their attempts: deleted;
 * - its installs (and re-engagements) keep their campaign, times and report summary, so reports
 *   count them as before, but lose their IP, user agent and rejection detail: stripped.
 * The daily touch counts reports read (touchpoint_days) hold no ids and stay. The `erasures`
 * log keeps when, which app, how many users and rows: never the ids.
 */
import type { Kysely } from 'kysely';
import { DEVICE_ID_KINDS, IDENTITY_KINDS, normalizeDeviceId } from '../domain/devices.js';
import { newId } from '../domain/ids.js';
import type { DialectHooks } from './dialect.js';
import type { Database } from './schema.js';
import type { ErasureRequest, ErasureRow, ErasureStore } from './store.js';

/** Values per IN list: well under either database's parameter limit. */
const CHUNK = 500;

export function erasureQueries(db: Kysely<Database>, hooks: DialectHooks): ErasureStore {
  const secure = hooks.eraseSecurely ?? (<T>(kysely: Kysely<Database>, run: (k: Kysely<Database>) => Promise<T>) => run(kysely));
  return {
    forget(appId, request, source, now) {
      return secure(db, (kysely) => kysely.transaction().execute((trx) => forget(trx, appId, request, source, now)));
    },

    async listErasures(appId) {
      const rows = await db.selectFrom('erasures').selectAll().where('app_id', '=', appId).orderBy('requested_at', 'desc').orderBy('erasure_id', 'desc').execute();
      return rows.map((r) => ({ erasure_id: r.erasure_id, app_id: r.app_id, requested_at: Number(r.requested_at), source: r.source, users: Number(r.users), rows: JSON.parse(r.rows) as Record<string, number> }));
    },
  };
}

async function forget(trx: Kysely<Database>, appId: string, request: ErasureRequest, source: string, now: number): Promise<ErasureRow> {
  const devices = [...new Set(request.devices.map((d) => normalizeDeviceId(d) ?? d.trim()).filter((d) => d !== ''))];
  const userIds = [...new Set(request.userIds)];
  const users = new Set<string>();
  const deviceKinds = IDENTITY_KINDS.filter((kind) => kind !== 'user_id');
  for (const part of chunks(devices)) {
    for (const r of await trx.selectFrom('user_identities').select('user_pk').where('app_id', '=', appId).where('kind', 'in', deviceKinds).where('value', 'in', part).execute()) users.add(r.user_pk);
    // Adjust's `adid` is the id its /session answered: the user's own.
    for (const r of await trx.selectFrom('users').select('user_pk').where('app_id', '=', appId).where('user_pk', 'in', part).execute()) users.add(r.user_pk);
  }
  for (const part of chunks(userIds)) {
    for (const r of await trx.selectFrom('user_identities').select('user_pk').where('app_id', '=', appId).where('kind', '=', 'user_id').where('value', 'in', part).execute()) users.add(r.user_pk);
  }
  const pks = [...users];
  // Every id the users are known by, and the ids the request named (a device never seen as a
  // user may still be on a click).
  const values = new Set([...devices, ...userIds]);
  for (const part of chunks(pks)) for (const r of await trx.selectFrom('user_identities').select('value').where('user_pk', 'in', part).execute()) values.add(r.value);
  const ids = [...values];
  const rows: Record<string, number> = { identities: 0, events: 0, event_keys: 0, touchpoints: 0, idempotency_keys: 0, deliveries: 0, delivery_attempts: 0, installs_stripped: 0 };

  // Touchpoints: those carrying one of the ids, and those the users' installs are credited to.
  const touchpoints = new Set<string>();
  for (const part of chunks(ids)) {
    const carrying = await trx
      .selectFrom('touchpoints')
      .select('touchpoint_id')
      .where('app_id', '=', appId)
      .where((eb) => eb.or([...DEVICE_ID_KINDS.map((kind) => eb(kind, 'in', part)), eb('touchpoint_id', 'in', part)]))
      .execute();
    for (const r of carrying) touchpoints.add(r.touchpoint_id);
  }
  // The outbox entries the users caused, by their cause (outbox.ts): their installs' and re-engagements', their events'.
  const causes: string[] = [];
  for (const part of chunks(pks)) {
    for (const r of await trx.selectFrom('installs').select(['install_id', 'touchpoint_id']).where('app_id', '=', appId).where('user_pk', 'in', part).execute()) {
      causes.push(`install:${r.install_id}`, `rejection:${r.install_id}`);
      if (r.touchpoint_id !== null) touchpoints.add(r.touchpoint_id);
    }
  }
  for (const part of chunks([...touchpoints])) {
    rows.touchpoints! += Number((await trx.deleteFrom('touchpoints').where('app_id', '=', appId).where('touchpoint_id', 'in', part).executeTakeFirst()).numDeletedRows);
    rows.idempotency_keys! += Number((await trx.deleteFrom('idempotency_keys').where('app_id', '=', appId).where('record_id', 'in', part).executeTakeFirst()).numDeletedRows);
  }

  for (const part of chunks(pks)) {
    const events = (await trx.selectFrom('events').select('event_pk').where('user_pk', 'in', part).execute()).map((r) => r.event_pk);
    causes.push(...events.map((pk) => `event:${pk}`));
    for (const keys of chunks(events)) rows.event_keys! += Number((await trx.deleteFrom('event_dedup').where('app_id', '=', appId).where('event_pk', 'in', keys).executeTakeFirst()).numDeletedRows);
    rows.events! += Number((await trx.deleteFrom('events').where('user_pk', 'in', part).executeTakeFirst()).numDeletedRows);
    rows.identities! += Number((await trx.deleteFrom('user_identities').where('user_pk', 'in', part).executeTakeFirst()).numDeletedRows);
    const stripped = await trx.updateTable('installs').set({ ip: null, user_agent: null, counted_ip: null, rejected_value: null }).where('app_id', '=', appId).where('user_pk', 'in', part).executeTakeFirst();
    rows.installs_stripped! += Number(stripped.numUpdatedRows);
  }

  // Their deliveries, with their attempts (an answer may echo an id).
  const deliveries = new Set<string>();
  for (const part of chunks(causes)) {
    for (const r of await trx.selectFrom('deliveries').select('delivery_id').where('app_id', '=', appId).where('dedup_key', 'in', part).execute()) deliveries.add(r.delivery_id);
  }
  for (const part of chunks([...deliveries])) {
    rows.delivery_attempts! += Number((await trx.deleteFrom('delivery_attempts').where('delivery_id', 'in', part).executeTakeFirst()).numDeletedRows);
    rows.deliveries! += Number((await trx.deleteFrom('deliveries').where('delivery_id', 'in', part).executeTakeFirst()).numDeletedRows);
  }

  const receipt: ErasureRow = { erasure_id: newId(now), app_id: appId, requested_at: now, source, users: pks.length, rows };
  await trx.insertInto('erasures').values({ ...receipt, rows: JSON.stringify(rows) }).execute();
  return receipt;
}

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

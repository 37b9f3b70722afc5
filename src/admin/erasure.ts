/**
 * Erasure requests (`s2s forget`, `POST /admin/forget`, Adjust's `gdpr_forget_device`): checked
 * here, carried out by the store (storage/erasure-queries.ts) in one transaction, answered with
 * a receipt. The log holds counts, never the ids.
 */
import { Type, type Static } from '@sinclair/typebox';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, ErasureRow, ErasureStore } from '../storage/store.js';
import { validate } from './validate.js';

const Id = Type.String({ minLength: 1, maxLength: 256 });

export const ForgetInput = Type.Object(
  {
    app_id: Type.String({ description: 'the app whose user is forgotten; other apps keep theirs' }),
    devices: Type.Optional(Type.Array(Id, { maxItems: 100, description: 'device ids of any kind: IDFA, GAID, IDFV, Android id, Adjust adid, AppsFlyer id …' })),
    user_ids: Type.Optional(Type.Array(Id, { maxItems: 100, description: "the sender's user ids" })),
  },
  { additionalProperties: false },
);
export type ForgetInput = Static<typeof ForgetInput>;

/** What an erasure answers and the log lists: times as ISO. */
export interface ErasureReceipt extends Omit<ErasureRow, 'requested_at'> {
  requested_at: string;
}

export function receipt(row: ErasureRow): ErasureReceipt {
  return { ...row, requested_at: new Date(row.requested_at).toISOString() };
}

/** Forgets the users the request names; a request naming nobody known still gets its receipt (0 users). */
export async function forgetUsers(store: Pick<CatalogStore, 'getApp'> & ErasureStore, input: unknown, source: string, now = Date.now()): Promise<ErasureReceipt> {
  const request = validate(ForgetInput, input);
  const devices = request.devices ?? [];
  const userIds = request.user_ids ?? [];
  if (devices.length === 0 && userIds.length === 0) throw badRequest('devices: name at least one device id or user id (user_ids)');
  if (!(await store.getApp(request.app_id))) throw notFound(`app_id: unknown app ${request.app_id}`);
  return receipt(await store.forget(request.app_id, { devices, userIds }, source, now));
}

export async function listErasures(store: Pick<CatalogStore, 'getApp'> & ErasureStore, appId: string): Promise<ErasureReceipt[]> {
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  return (await store.listErasures(appId)).map(receipt);
}

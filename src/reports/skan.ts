/** Apple's postbacks of an app as `s2s skan list` and `GET /admin/skan` show them. */
import type { SkanPostbackRow } from '../domain/entities.js';
import { badRequest, notFound } from '../errors.js';
import type { CatalogStore, SkanStore } from '../storage/store.js';

export const MAX_SKAN_LIST = 10_000;

/** A postback as listed: times as ISO, flags as booleans, the raw body left out. */
export interface ListedPostback extends Omit<SkanPostbackRow, 'received_at' | 'redownload' | 'did_win' | 'body'> {
  received_at: string;
  redownload: boolean | null;
  did_win: boolean | null;
}

export async function listSkan(store: Pick<CatalogStore, 'getApp'> & SkanStore, appId: string, limit = 100): Promise<ListedPostback[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SKAN_LIST) throw badRequest(`limit: must be a whole number from 1 to ${MAX_SKAN_LIST}`);
  if (!(await store.getApp(appId))) throw notFound(`app_id: unknown app ${appId}`);
  const flag = (v: number | null) => (v === null ? null : v === 1);
  return (await store.listSkanPostbacks(appId, limit)).map(({ body: _body, ...row }) => ({
    ...row,
    received_at: new Date(row.received_at).toISOString(),
    redownload: flag(row.redownload),
    did_win: flag(row.did_win),
  }));
}

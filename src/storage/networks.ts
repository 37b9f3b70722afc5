/**
 * Network names compare case-insensitively and keep their first spelling: the operator's (a
 * campaign's or a postback's, the earliest created) when one names the network.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The first spelling the app's campaigns and postbacks give `network`, else `network` as given. */
export async function networkSpelling(db: Kysely<Database>, appId: string, network: string): Promise<string> {
  const same = sql<boolean>`lower(network) = lower(${network})`;
  const [campaign, postback] = await Promise.all([
    db.selectFrom('campaigns').select(['network', 'created_at']).where('app_id', '=', appId).where(same).orderBy('created_at').orderBy('campaign_id').limit(1).executeTakeFirst(),
    db.selectFrom('postbacks').select(['network', 'created_at']).where('app_id', '=', appId).where(same).orderBy('created_at').orderBy('postback_id').limit(1).executeTakeFirst(),
  ]);
  const first = [campaign, postback].filter((r) => r !== undefined).sort((a, b) => Number(a.created_at) - Number(b.created_at))[0];
  return first?.network ?? network;
}

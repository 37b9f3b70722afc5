import type { Kysely } from 'kysely';
import { catalogQueries } from './catalog-queries.js';
import { costQueries } from './cost-queries.js';
import type { DialectHooks } from './dialect.js';
import { ingestQueries } from './ingest-queries.js';
import { maintenance } from './maintenance.js';
import { outboxQueries } from './outbox-queries.js';
import { reportQueries } from './report-queries.js';
import { skanQueries } from './skan-queries.js';
import { erasureQueries } from './erasure-queries.js';
import { exportQueries } from './export-queries.js';
import { replayQueries } from './replay-queries.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

/** A Store over one Kysely database; `db` stays reachable for tests that look at the schema itself. */
export type KyselyStore = Store & { readonly db: Kysely<Database> };

/** Every port's queries over one database and its dialect's hooks, as one Store. */
export function composeStore(db: Kysely<Database>, hooks: DialectHooks): KyselyStore {
  return {
    db,
    ...catalogQueries(db),
    ...ingestQueries(db, hooks),
    ...outboxQueries(db, hooks),
    ...reportQueries(db),
    ...costQueries(db),
    ...skanQueries(db),
    ...erasureQueries(db, hooks),
    ...exportQueries(db),
    ...replayQueries(db),
    ...maintenance(db, hooks),
  };
}

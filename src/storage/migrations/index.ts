import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-foundation.js';
import * as m0002 from './0002-touchpoints.js';
import * as m0003 from './0003-users-installs-events.js';
import * as m0004 from './0004-postbacks.js';
import * as m0005 from './0005-idempotency-keys.js';
import * as m0006 from './0006-currency.js';
import * as m0007 from './0007-reports.js';
import * as m0008 from './0008-history-partitions.js';
import * as m0009 from './0009-import-dedup-keys.js';
import * as m0010 from './0010-ingest-journal.js';
import * as m0011 from './0011-install-lookups.js';
import * as m0012 from './0012-delivery-answer-rule.js';
import * as m0013 from './0013-drop-ingest-journal.js';
import * as m0014 from './0014-app-aliases.js';
import * as m0015 from './0015-ad-revenue.js';
import * as m0016 from './0016-costs.js';
import * as m0017 from './0017-re-engagement.js';
import * as m0018 from './0018-skan-postbacks.js';
import * as m0019 from './0019-erasures.js';
import * as m0020 from './0020-job-runs.js';
import * as m0021 from './0021-skan-maps.js';
import * as m0022 from './0022-webhooks.js';
import * as m0023 from './0023-export-lookups.js';

/**
 * Migrations are compiled into the program (not read from a folder at run time), so the
 * server and `s2s migrate` apply exactly the versions they were built with. Names sort in order.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-foundation': m0001,
  '0002-touchpoints': m0002,
  '0003-users-installs-events': m0003,
  '0004-postbacks': m0004,
  '0005-idempotency-keys': m0005,
  '0006-currency': m0006,
  '0007-reports': m0007,
  '0008-history-partitions': m0008,
  '0009-import-dedup-keys': m0009,
  '0010-ingest-journal': m0010,
  '0011-install-lookups': m0011,
  '0012-delivery-answer-rule': m0012,
  '0013-drop-ingest-journal': m0013,
  '0014-app-aliases': m0014,
  '0015-ad-revenue': m0015,
  '0016-costs': m0016,
  '0017-re-engagement': m0017,
  '0018-skan-postbacks': m0018,
  '0019-erasures': m0019,
  '0020-job-runs': m0020,
  '0021-skan-maps': m0021,
  '0022-webhooks': m0022,
  '0023-export-lookups': m0023,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};

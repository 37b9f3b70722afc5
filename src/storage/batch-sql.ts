/**
 * The statements of an ingest batch (IngestTxQueries), declared once for both databases. Each
 * takes the whole batch as one parameter, a list of row objects, and reads it as a table:
 * PostgreSQL as JSON with `json_to_recordset`, SQLite through a table-valued function. So a batch of one conversion and
 * a batch of a thousand run the same statements, the same number of them (docs/performance.md),
 * and each statement's text never changes: prepared once per connection (PostgreSQL's named
 * statements, SQLite's statement cache) and never compiled again.
 */
import { DEVICE_ID_KINDS } from '../domain/devices.js';
import { IDEMPOTENCY_KEY_PREFIX, IDEMPOTENCY_WINDOW_MS } from '../domain/idempotency.js';
import { SUMMARY_COLUMN_NAMES, SUMMARY_COLUMNS } from '../domain/install-summary.js';
import { EVENT_COLUMNS, INSTALL_COLUMNS } from './schema.js';
import { CANDIDATE_COLUMNS, type DialectName } from './store.js';

type SqlType = 'text' | 'bigint' | 'integer' | 'double precision';
type Columns = readonly (readonly [name: string, type: SqlType])[];

const TOUCHPOINT_COLUMNS: Columns = [
  ['touchpoint_id', 'text'], ['kind', 'text'], ['app_id', 'text'], ['campaign_id', 'text'], ['network', 'text'], ['created_at', 'bigint'],
  ['ip', 'text'], ['user_agent', 'text'], ['idfa', 'text'], ['gaid', 'text'], ['uuid', 'text'], ['fire_adid', 'text'], ['platform', 'text'],
  ['storefront', 'text'], ['site_id', 'text'], ['publisher', 'text'], ['creative', 'text'], ['network_click_id', 'text'],
  ['sub1', 'text'], ['sub2', 'text'], ['sub3', 'text'], ['sub4', 'text'], ['sub5', 'text'],
];
const INSTALL_TYPES: Record<(typeof INSTALL_COLUMNS)[number], SqlType> = {
  install_id: 'text', app_id: 'text', user_pk: 'text', kind: 'text', installed_at: 'bigint', status: 'text', match_type: 'text',
  campaign_id: 'text', network: 'text', touchpoint_id: 'text', touched_at: 'bigint', rejected_reason: 'text', rejected_value: 'text',
  ip: 'text', user_agent: 'text', platform: 'text', source: 'text',
};
const EVENT_TYPES: Record<(typeof EVENT_COLUMNS)[number], SqlType> = {
  event_pk: 'text', app_id: 'text', user_pk: 'text', kind: 'text', name: 'text', occurred_at: 'bigint', received_at: 'bigint',
  revenue: 'double precision', currency: 'text', revenue_usd: 'double precision', aggregated_value: 'double precision',
  event_value: 'text', product_id: 'text', ip: 'text', user_agent: 'text', source: 'text', dedup_key: 'text',
  ad_source: 'text', ad_network: 'text', ad_unit: 'text', ad_placement: 'text', ad_impressions: 'bigint',
};
const SKAN_COLUMNS: Columns = [
  ['postback_pk', 'text'], ['app_id', 'text'], ['kind', 'text'], ['source', 'text'], ['received_at', 'bigint'], ['version', 'text'],
  ['ad_network_id', 'text'], ['transaction_id', 'text'], ['sequence_index', 'integer'], ['app_store_id', 'text'], ['source_identifier', 'text'],
  ['source_app_id', 'text'], ['source_domain', 'text'], ['fidelity_type', 'integer'], ['redownload', 'integer'], ['did_win', 'integer'],
  ['conversion_type', 'text'], ['conversion_value', 'integer'], ['coarse_conversion_value', 'text'], ['country_code', 'text'],
  ['verification', 'text'], ['body', 'text'],
];
const SUMMARY_TYPES: Columns = SUMMARY_COLUMN_NAMES.map((c) => [c, c.endsWith('_usd') ? 'double precision' : 'bigint'] as const);
const DELIVERY_COLUMNS: Columns = [
  ['delivery_id', 'text'], ['postback_id', 'text'], ['app_id', 'text'], ['trigger', 'text'], ['method', 'text'], ['url', 'text'],
  ['headers', 'text'], ['body', 'text'], ['status', 'text'], ['attempts', 'integer'], ['next_attempt_at', 'bigint'], ['claimed_until', 'bigint'],
  ['created_at', 'bigint'], ['expires_at', 'bigint'], ['finished_at', 'bigint'], ['last_status', 'integer'], ['last_error', 'text'],
  ['dedup_key', 'text'], ['answer_rule', 'text'],
];
const CAMPAIGN_WINDOWS =
  'c.click_window_s as campaign_click_window_s, c.view_window_s as campaign_view_window_s, c.probabilistic_window_s as campaign_probabilistic_window_s, ' +
  'c.kind as campaign_kind, c.re_engagement_window_s as campaign_re_engagement_window_s, c.re_engagement_attribution_window_s as campaign_re_engagement_attribution_window_s';
/** Candidates per lookup: the newest few are all last-touch attribution can pick from. */
const CANDIDATE_LIMIT = 50;

/** How a candidate lookup matches touchpoints: by id, by one device id kind, or by IP. */
export const CANDIDATE_MATCHES = ['id', ...DEVICE_ID_KINDS, 'ip'] as const;
export type CandidateMatch = (typeof CANDIDATE_MATCHES)[number];

/** The batch statements, each with its one parameter written the dialect's way. */
export interface BatchStatements {
  findUsers: string;
  getInstalls: string;
  getInstallsById: string;
  /**
   * The candidate lookups of these kinds, one branch per kind. On PostgreSQL every branch
   * starts an index scan per monthly partition each time the statement runs, whether it finds
   * a lookup or not, so a statement names only the kinds its lookups use (at most 63 texts).
   */
  findCandidates(hows: readonly CandidateMatch[]): string;
  countInstallsFromIps: string;
  findEventClaims: string;
  getTouchpoints: string;
  insertUsers: string;
  claimIdentities: string;
  moveIdentities: string;
  rejectInstalls: string;
  insertInstalls: string;
  addInstallActivity: string;
  updateLastSeen: string;
  claimEventKeys: string;
  insertEvents: string;
  insertDeliveries: string;
  claimIdempotencyKeys: string;
  findIdempotencyKeys: string;
  insertTouchpoints: string;
  countTouchDays: string;
  insertSkanPostbacks: string;
}

const cache = new Map<DialectName, BatchStatements>();

export function batchStatements(dialect: DialectName): BatchStatements {
  let statements = cache.get(dialect);
  if (!statements) {
    statements = build(dialect);
    cache.set(dialect, statements);
  }
  return statements;
}

/**
 * SQLite's batch tables: table-valued functions, one per row shape, that the SQLite store
 * registers on its connection (`database.table`). A statement names one with the rows' handle
 * as its argument, `batch_rows_3(?)`, and it yields the rows the statement was given, read in
 * memory: JSON through `jsonb_each` cost 11–12 against 5.5–7 µs a row of 17 columns in a batch
 * of 6, measured, and was the dearest part of a small batch (docs/performance.md).
 */
export interface SqliteBatchTable {
  name: string;
  columns: string[];
}

export function sqliteBatchTables(): SqliteBatchTable[] {
  batchStatements('sqlite');
  return [...sqliteTables.values()];
}

const sqliteTables = new Map<string, SqliteBatchTable>();

function sqliteTable(columns: Columns): string {
  const key = columns.map(([name]) => name).join(',');
  let table = sqliteTables.get(key);
  if (!table) {
    table = { name: `batch_rows_${sqliteTables.size}`, columns: columns.map(([name]) => name) };
    sqliteTables.set(key, table);
  }
  return table.name;
}

function build(dialect: DialectName): BatchStatements {
  /** The parameter as a table named `alias` with these columns. */
  const rows = (alias: string, columns: Columns): string =>
    dialect === 'postgres'
      ? `json_to_recordset($1::json) as ${alias}(${columns.map(([name, type]) => `"${name}" ${type}`).join(', ')})`
      : `${sqliteTable(columns)}(?) as ${alias}`;
  const names = (columns: Columns, prefix = ''): string => columns.map(([name]) => `${prefix}"${name}"`).join(', ');
  const installColumns: Columns = [
    ...INSTALL_COLUMNS.map((c) => [c, INSTALL_TYPES[c]] as const),
    ['counted_ip', 'text'], ...SUMMARY_TYPES,
  ];
  const eventColumns: Columns = EVENT_COLUMNS.map((c) => [c, EVENT_TYPES[c]] as const);
  // SQLite reads `INSERT … SELECT … ON CONFLICT` as a join unless the SELECT has a WHERE.
  const insertFrom = (table: string, columns: Columns) => `insert into ${table} (${names(columns)}) select ${names(columns)} from ${rows('q', columns)} where true`;

  const candidateQuery: Columns = [['i', 'integer'], ['how', 'text'], ['app_id', 'text'], ['value', 'text'], ['since', 'bigint'], ['until', 'bigint']];
  const candidateWhere = (how: CandidateMatch, t: string) =>
    `${t}.app_id = q.app_id and ${t}.${how === 'id' ? 'touchpoint_id' : how} = q.value and ${t}.created_at >= q.since and ${t}.created_at <= q.until`;
  // One indexed range scan per lookup, newest first: (app_id, gaid, created_at) and so on.
  // PostgreSQL takes each lookup's newest rows with LATERAL. SQLite has no LATERAL: an id
  // names one touchpoint, so its lookup is a plain join; a device id or an IP joins the range
  // from its newest row down to its 50th newest, found by a scalar subquery on the same index
  // (a tie at the 50th may add a row). A correlated `rowid IN (… limit 50)` built a temporary
  // table per lookup: 22–39 against 12–15 µs a lookup, measured (docs/performance.md).
  // Only the columns attribution reads: whole touchpoints made SQLite's statement half as dear
  // again (25–33 against 15–20 µs a record); the few a postback names are read by id afterwards
  // (BatchView.load).
  const candidateColumns = (t: string) => CANDIDATE_COLUMNS.map((c) => `${t}.${c}`).join(', ');
  const sqliteCandidateJoin = (how: CandidateMatch) =>
    how === 'id'
      ? candidateWhere(how, 't')
      : `t.app_id = q.app_id and t.${how} = q.value and t.created_at <= q.until and t.created_at >= max(q.since, coalesce((
           select s.created_at from touchpoints s where ${candidateWhere(how, 's')} order by s.created_at desc limit 1 offset ${CANDIDATE_LIMIT - 1}), q.since))`;
  const candidateBranch = (how: CandidateMatch) =>
    dialect === 'postgres'
      ? `select q.i, q.how, m.* from q cross join lateral (
           select ${candidateColumns('t')}, ${CAMPAIGN_WINDOWS} from touchpoints t left join campaigns c on c.campaign_id = t.campaign_id
           where ${candidateWhere(how, 't')} order by t.created_at desc limit ${CANDIDATE_LIMIT}) m where q.how = '${how}'`
      : `select q.i, q.how, ${candidateColumns('t')}, ${CAMPAIGN_WINDOWS} from q join touchpoints t on q.how = '${how}' and ${sqliteCandidateJoin(how)}
         left join campaigns c on c.campaign_id = t.campaign_id`;

  const candidateTexts = new Map<string, string>();
  // Named now, with the other statements' tables: the texts below are built when first asked.
  const candidateRows = rows('j', candidateQuery);
  return {
    // Each identity's user, with the user's first install (prefixed `install.`) if it has one.
    findUsers: `select ui.kind, ui.value, u.user_pk, u.app_id, u.created_at, u.last_seen_at, u.engagement_id, u.engaged_until, ${INSTALL_COLUMNS.map((c) => `i.${c} as "install.${c}"`).join(', ')}
      from ${rows('q', [['app_id', 'text'], ['kind', 'text'], ['value', 'text']])}
      join user_identities ui on ui.app_id = q.app_id and ui.kind = q.kind and ui.value = q.value
      join users u on u.user_pk = ui.user_pk
      left join installs i on i.app_id = u.app_id and i.user_pk = u.user_pk and i.kind = 'install'`,
    getInstalls: `select ${INSTALL_COLUMNS.map((c) => `i.${c}`).join(', ')}
      from ${rows('q', [['app_id', 'text'], ['user_pk', 'text']])}
      join installs i on i.app_id = q.app_id and i.user_pk = q.user_pk and i.kind = 'install'`,
    getInstallsById: `select ${INSTALL_COLUMNS.map((c) => `i.${c}`).join(', ')}
      from ${rows('q', [['install_id', 'text']])} join installs i on i.install_id = q.install_id`,
    findCandidates: (hows) => {
      const key = CANDIDATE_MATCHES.filter((how) => hows.includes(how)).join(',');
      let text = candidateTexts.get(key);
      if (text === undefined) {
        text = `with q as (select * from ${candidateRows}) ${CANDIDATE_MATCHES.filter((how) => hows.includes(how)).map(candidateBranch).join(' union all ')}`;
        candidateTexts.set(key, text);
      }
      return text;
    },
    countInstallsFromIps: `select q.i, (select count(*) from installs n
        where n.app_id = q.app_id and n.counted_ip = q.ip and n.installed_at >= q.since and n.installed_at < q.until) as n
      from ${rows('q', [['i', 'integer'], ['app_id', 'text'], ['ip', 'text'], ['since', 'bigint'], ['until', 'bigint']])}`,
    findEventClaims: `select d.app_id, d.dedup_key, d.created_at
      from ${rows('q', [['app_id', 'text'], ['dedup_key', 'text']])}
      join event_dedup d on d.app_id = q.app_id and d.dedup_key = q.dedup_key`,
    getTouchpoints: `select t.* from ${rows('q', [['touchpoint_id', 'text']])} join touchpoints t on t.touchpoint_id = q.touchpoint_id`,
    insertUsers: insertFrom('users', [['user_pk', 'text'], ['app_id', 'text'], ['created_at', 'bigint'], ['last_seen_at', 'bigint'], ['engagement_id', 'text'], ['engaged_until', 'bigint']]),
    claimIdentities: `${insertFrom('user_identities', [['app_id', 'text'], ['kind', 'text'], ['value', 'text'], ['user_pk', 'text']])}
      on conflict (app_id, kind, value) do nothing returning app_id, kind, value`,
    moveIdentities: `update user_identities set user_pk = q.to_pk from ${rows('q', [['app_id', 'text'], ['from_pk', 'text'], ['to_pk', 'text']])}
      where user_identities.app_id = q.app_id and user_identities.user_pk = q.from_pk`,
    rejectInstalls: `update installs set status = 'rejected', rejected_reason = q.reason, rejected_value = q.detail
      from ${rows('q', [['app_id', 'text'], ['user_pk', 'text'], ['touchpoint_id', 'text'], ['reason', 'text'], ['detail', 'text']])}
      where installs.app_id = q.app_id and installs.user_pk = q.user_pk and installs.touchpoint_id = q.touchpoint_id
      returning installs.install_id`,
    // The conflict target repeats the partial index's predicate as a literal: SQLite only
    // matches a partial unique index when it can see the two are the same.
    insertInstalls: `${insertFrom('installs', installColumns)} on conflict (app_id, user_pk) where kind = 'install' do nothing returning install_id`,
    addInstallActivity: `update installs set ${SUMMARY_COLUMN_NAMES.map((c) => `${c} = installs.${c} ${SUMMARY_COLUMNS[c] === 'or' ? '|' : '+'} q.${c}`).join(', ')}
      from ${rows('q', [['install_id', 'text'], ...SUMMARY_TYPES])}
      where installs.install_id = q.install_id`,
    // A sighting that re-engages its user also points the user at the engagement, even when
    // another process has seen the user later since.
    updateLastSeen: `update users set last_seen_at = case when q.seen_at > users.last_seen_at then q.seen_at else users.last_seen_at end,
        engagement_id = coalesce(q.engagement_id, users.engagement_id), engaged_until = coalesce(q.engaged_until, users.engaged_until)
      from ${rows('q', [['user_pk', 'text'], ['seen_at', 'bigint'], ['engagement_id', 'text'], ['engaged_until', 'bigint']])}
      where users.user_pk = q.user_pk and (users.last_seen_at < q.seen_at or q.engagement_id is not null)`,
    // The key is claimed in its own table: events are partitioned by month on PostgreSQL, and a
    // retry may arrive in another month than the first sighting. An Idempotency-Key (`key:`)
    // claimed before the window is a new request: its claim is taken over. The sender's own
    // ids (`uid:`, `import:`) stand for one event for good.
    claimEventKeys: `${insertFrom('event_dedup', [['app_id', 'text'], ['dedup_key', 'text'], ['event_pk', 'text'], ['created_at', 'bigint']])}
      on conflict (app_id, dedup_key) do update set event_pk = excluded.event_pk, created_at = excluded.created_at
      where event_dedup.created_at < excluded.created_at - ${IDEMPOTENCY_WINDOW_MS} and event_dedup.dedup_key like '${IDEMPOTENCY_KEY_PREFIX}%'
      returning app_id, dedup_key`,
    insertEvents: insertFrom('events', eventColumns),
    insertDeliveries: `${insertFrom('deliveries', DELIVERY_COLUMNS)} on conflict (postback_id, dedup_key) do nothing returning delivery_id`,
    // An expired claim is taken over: the key now stands for this record.
    claimIdempotencyKeys: `${insertFrom('idempotency_keys', [['app_id', 'text'], ['idem_key', 'text'], ['record_id', 'text'], ['created_at', 'bigint']])}
      on conflict (app_id, idem_key) do update set record_id = excluded.record_id, created_at = excluded.created_at
      where idempotency_keys.created_at < excluded.created_at - ${IDEMPOTENCY_WINDOW_MS}`,
    findIdempotencyKeys: `select k.app_id, k.idem_key, k.record_id from ${rows('q', [['app_id', 'text'], ['idem_key', 'text']])}
      join idempotency_keys k on k.app_id = q.app_id and k.idem_key = q.idem_key`,
    // (id, time) is the key a month-partitioned table can hold (migration 0008).
    insertTouchpoints: `${insertFrom('touchpoints', TOUCHPOINT_COLUMNS)} on conflict (touchpoint_id, created_at) do nothing returning touchpoint_id`,
    countTouchDays: `${insertFrom('touchpoint_days', [['app_id', 'text'], ['day', 'integer'], ['kind', 'text'], ['campaign_id', 'text'], ['network', 'text'], ['count', 'bigint']])}
      on conflict (app_id, day, kind, campaign_id, network) do update set count = touchpoint_days.count + excluded.count`,
    // A repeat (the same ad network, transaction and sequence index) is stored once: the first,
    // unless it did not verify and the repeat does (a forged copy sent first never hides Apple's).
    insertSkanPostbacks: `${insertFrom('skan_postbacks', SKAN_COLUMNS)} on conflict (ad_network_id, transaction_id, sequence_index) do update set
        ${SKAN_COLUMNS.filter(([c]) => c !== 'postback_pk' && c !== 'app_id').map(([c]) => `"${c}" = excluded."${c}"`).join(', ')}
      where skan_postbacks.verification <> 'verified' and excluded.verification = 'verified' and skan_postbacks.app_id = excluded.app_id
      returning postback_pk`,
  };
}

/**
 * The read side of reports, cohorts and audiences (ReportStore). Reports read the per-install
 * summaries and the daily touch counts that ingest keeps (migration 0007), through indexes on
 * (app_id, installed_at) and the touchpoint_days primary key: the cost grows with installs in
 * range, not with events.
 */
import { sql, type Expression, type Kysely, type RawBuilder } from 'kysely';
import { ltvColumn } from '../domain/install-summary.js';
import { DAY_MS, LTV_DAYS, MATURED_DAYS, RETENTION_DAYS, emptyCounters } from '../domain/metrics.js';
import { DEVICE_ID_KINDS, IDENTITY_KINDS, normalizeDeviceId, type Identity } from '../domain/devices.js';
import type { InstallRow } from '../domain/entities.js';
import type { SegmentRule } from '../domain/segments.js';
import { INSTALL_COLUMNS, type Database } from './schema.js';
import { USER_RECORD_EVENTS, type CohortDayRow, type ReportCounterRow, type ReportQuery, type ReportStore, type TouchCountRow, type UserRecord } from './store.js';

/** The ReportStore over one database. */
export function reportQueries(db: Kysely<Database>): ReportStore {
  return {
    reportInstallCounters: (query) => reportInstallCounters(db, query),
    async rejectionCounts({ appId, fromDay, toDay }) {
      const rows = await db
        .selectFrom('installs')
        .select((eb) => ['rejected_reason', 'campaign_id', 'network', eb.fn.countAll<number>().as('installs')])
        .where('app_id', '=', appId)
        .where('kind', '=', 'install')
        .where('status', '=', 'rejected')
        .where('installed_at', '>=', fromDay * DAY_MS)
        .where('installed_at', '<', (toDay + 1) * DAY_MS)
        .groupBy(['rejected_reason', 'campaign_id', 'network'])
        .execute();
      return rows
        .map((r) => ({ reason: r.rejected_reason ?? 'unknown', campaign_id: r.campaign_id, network: r.network, installs: Number(r.installs) }))
        .sort((a, b) => b.installs - a.installs || a.reason.localeCompare(b.reason) || String(a.campaign_id).localeCompare(String(b.campaign_id)));
    },
    reportTouchCounts: (query) => reportTouchCounts(db, query),
    cohortMatrix: (appId, fromDay, toDay, maxDay) => cohortMatrix(db, appId, fromDay, toDay, maxDay),
    segmentIdentities: (appId, rules, now) => segmentIdentities(db, appId, rules, now),
    listKnownDevices: (appId) => listKnownDevices(db, appId),
    userRecord: (appId, id, as) => userRecord(db, appId, id, as),
  };
}

const COHORT = sql<boolean>`(i.kind = 'install' AND i.status <> 'rejected')`;
const INSTALL_DAY = sql`i.installed_at / ${sql.lit(DAY_MS)}`;
const ATTRIBUTED = sql<boolean>`(i.kind = 'install' AND i.status = 'attributed')`;

/** sum(case when … then x else 0 end), read back as a number (PostgreSQL sums bigints as numeric). */
function sumWhen(condition: RawBuilder<unknown>, value: RawBuilder<unknown> | number = 1): RawBuilder<number> {
  return sql<number>`sum(case when ${condition} then ${typeof value === 'number' ? sql.lit(value) : value} else 0 end)`;
}

function installKey(groupBy: ReportQuery['groupBy']): Expression<unknown> {
  if (groupBy === 'day') return sql`i.installed_at / ${sql.lit(DAY_MS)}`;
  return groupBy === 'campaign' ? sql.ref('i.campaign_id') : sql.ref('i.network');
}

/**
 * The network a row is reported under besides its key, as stored (reports fold its case): by
 * network, the key itself; by campaign, the network of installs a sender claimed outside any
 * campaign, which have their network's row rather than the organic one; by day, none.
 */
function installNetwork(groupBy: ReportQuery['groupBy']): RawBuilder<string | null> | undefined {
  if (groupBy === 'day') return undefined;
  if (groupBy === 'network') return sql<string | null>`i.network`;
  return sql<string | null>`case when i.campaign_id is null and i.status <> 'organic' then i.network end`;
}

async function reportInstallCounters(db: Kysely<Database>, q: ReportQuery): Promise<ReportCounterRow[]> {
  const key = installKey(q.groupBy);
  const selections: Record<string, RawBuilder<number>> = {
    installs: sumWhen(sql`i.kind = 'install' AND i.status = 'attributed'`),
    organic_installs: sumWhen(sql`i.kind = 'install' AND i.status = 'organic'`),
    rejected_installs: sumWhen(sql`i.kind = 'install' AND i.status = 'rejected'`),
    reinstalls: sumWhen(sql`i.kind = 'reinstall'`),
    re_engagements: sumWhen(sql`i.kind = 're-engagement' AND i.status = 'attributed'`),
    reattributions: sumWhen(sql`i.kind = 'reattribution' AND i.status = 'attributed'`),
    engaged_revenue_usd: sumWhen(sql`i.kind IN ('re-engagement', 'reattribution') AND i.status = 'attributed'`, sql`i.revenue_usd`),
    opens: sumWhen(COHORT, sql`i.opens`),
    purchases: sumWhen(COHORT, sql`i.purchases`),
    unpriced_purchases: sumWhen(COHORT, sql`i.unpriced_purchases`),
    revenue_usd: sumWhen(COHORT, sql`i.revenue_usd`),
    ad_revenue_usd: sumWhen(COHORT, sql`i.ad_revenue_usd`),
    ad_impressions: sumWhen(COHORT, sql`i.ad_impressions`),
    attributed_revenue_usd: sumWhen(ATTRIBUTED, sql`i.revenue_usd`),
    attributed_ad_revenue_usd: sumWhen(ATTRIBUTED, sql`i.ad_revenue_usd`),
    payers: sumWhen(sql`${COHORT} AND i.purchases > 0`),
  };
  // Retained users and their revenue are counted among the matured only: an open dated on a
  // day N that has not begun (a sender's clock ahead) never counts without its user in the
  // denominator.
  const matured = (n: number) => sql`${COHORT} AND i.installed_at / ${sql.lit(DAY_MS)} + ${sql.lit(n)} <= ${q.today}`;
  for (const n of MATURED_DAYS) selections[`matured_${n}`] = sumWhen(matured(n));
  for (const n of RETENTION_DAYS) selections[`retained_${n}`] = sumWhen(matured(n), sql`(i.active_days >> ${sql.lit(n)}) & 1`);
  for (const n of LTV_DAYS) selections[`ltv_revenue_${n}`] = sumWhen(matured(n), sql.ref(`i.${ltvColumn(n)}`));
  const network = installNetwork(q.groupBy);
  const rows = await db
    .selectFrom('installs as i')
    .select([
      sql`${key}`.as('key'),
      sql`${INSTALL_DAY}`.as('day'),
      'i.campaign_id',
      (network ?? sql<null>`null`).as('network'),
      sql<number>`min(i.installed_at)`.as('first_at'),
      ...Object.entries(selections).map(([name, expr]) => expr.as(name)),
    ])
    .where('i.app_id', '=', q.appId)
    .where('i.installed_at', '>=', q.fromDay * DAY_MS)
    .where('i.installed_at', '<', (q.toDay + 1) * DAY_MS)
    .groupBy([sql`${key}`, sql`${INSTALL_DAY}`, 'i.campaign_id', ...(network && q.groupBy === 'campaign' ? [network] : [])])
    .execute();
  return rows.map((row) => {
    const r = row as unknown as Record<string, unknown>;
    const counters = emptyCounters();
    for (const name of Object.keys(selections)) {
      const [base, n] = name.split(/_(?=\d+$)/);
      if (n !== undefined && (base === 'retained' || base === 'matured' || base === 'ltv_revenue')) counters[base][n] = Number(r[name] ?? 0);
      else (counters as unknown as Record<string, number>)[name] = Number(r[name] ?? 0);
    }
    return {
      key: normaliseKey(r['key'], q.groupBy),
      day: Number(r['day']),
      campaign_id: (r['campaign_id'] as string | null) ?? null,
      network: (r['network'] as string | null) ?? null,
      first_at: Number(r['first_at']),
      counters,
    };
  });
}

async function reportTouchCounts(db: Kysely<Database>, q: ReportQuery): Promise<TouchCountRow[]> {
  const key = q.groupBy === 'day' ? sql.ref('t.day') : q.groupBy === 'campaign' ? sql.ref('t.campaign_id') : sql.ref('t.network');
  const rows = await db
    .selectFrom('touchpoint_days as t')
    .select([
      sql`${key}`.as('key'),
      't.campaign_id',
      sumWhen(sql`t.kind = 'click'`, sql`t.count`).as('clicks'),
      sumWhen(sql`t.kind = 'view'`, sql`t.count`).as('views'),
    ])
    .where('t.app_id', '=', q.appId)
    .where('t.day', '>=', q.fromDay)
    .where('t.day', '<=', q.toDay)
    .groupBy([sql`${key}`, 't.campaign_id'])
    .execute();
  return rows.map((r) => ({
    key: normaliseKey(r.key === '' ? null : r.key, q.groupBy),
    campaign_id: r.campaign_id === '' ? null : r.campaign_id,
    clicks: Number(r.clicks),
    views: Number(r.views),
  }));
}

function normaliseKey(value: unknown, groupBy: ReportQuery['groupBy']): number | string | null {
  if (value === null || value === undefined) return null;
  return groupBy === 'day' ? Number(value) : String(value);
}

async function cohortMatrix(db: Kysely<Database>, appId: string, fromDay: number, toDay: number, maxDay: number): Promise<CohortDayRow[]> {
  const days = Array.from({ length: maxDay + 1 }, (_, n) => n);
  const rows = await db
    .selectFrom('installs as i')
    .select([
      sql<number>`i.installed_at / ${sql.lit(DAY_MS)}`.as('day'),
      sql<number>`count(*)`.as('users'),
      ...days.map((n) => sql<number>`sum((i.active_days >> ${sql.lit(n)}) & 1)`.as(`d${n}`)),
    ])
    .where('i.app_id', '=', appId)
    .where('i.installed_at', '>=', fromDay * DAY_MS)
    .where('i.installed_at', '<', (toDay + 1) * DAY_MS)
    .where(COHORT)
    .groupBy(sql`i.installed_at / ${sql.lit(DAY_MS)}`)
    .orderBy('day')
    .execute();
  return rows.map((row) => {
    const r = row as unknown as Record<string, unknown>;
    return { day: Number(r['day']), users: Number(r['users']), retained: days.map((n) => Number(r[`d${n}`] ?? 0)) };
  });
}

async function segmentIdentities(db: Kysely<Database>, appId: string, rules: SegmentRule[], now: number): Promise<Identity[]> {
  let users = db
    .selectFrom('users as u')
    .innerJoin('installs as i', (join) => join.onRef('i.user_pk', '=', 'u.user_pk').on('i.kind', '=', 'install'))
    .select('u.user_pk')
    .where('u.app_id', '=', appId);
  for (const rule of rules) {
    switch (rule.field) {
      case 'event': {
        users = users.where((eb) => {
          const done = eb.exists(eb.selectFrom('events as e').select(sql`1`.as('one')).whereRef('e.user_pk', '=', 'u.user_pk').where('e.name', '=', rule.value));
          return rule.negate ? eb.not(done) : done;
        });
        break;
      }
      case 'revenue_usd':
        users = users.where('i.revenue_usd', '>=', rule.min);
        break;
      case 'last_seen_days':
        users = users.where('u.last_seen_at', '<=', now - rule.min * DAY_MS);
        break;
      case 'campaign':
        users = users.where('i.status', '=', 'attributed').where('i.campaign_id', '=', rule.value);
        break;
      case 'network':
        users = users.where('i.status', '=', 'attributed').where(sql<boolean>`lower(i.network) = lower(${rule.value})`);
        break;
      case 'platform':
        users = users.where('i.platform', '=', rule.value);
        break;
    }
  }
  const rows = await db
    .selectFrom('user_identities as ui')
    .select(['ui.kind', 'ui.value'])
    .where('ui.app_id', '=', appId)
    .where('ui.user_pk', 'in', users)
    .orderBy('ui.user_pk')
    .orderBy('ui.kind')
    .orderBy('ui.value')
    .execute();
  return rows as Identity[];
}

async function userRecord(db: Kysely<Database>, appId: string, id: string, as: 'device' | 'user'): Promise<UserRecord | undefined> {
  const value = as === 'device' ? (normalizeDeviceId(id) ?? id) : id;
  const kinds = as === 'device' ? IDENTITY_KINDS.filter((k) => k !== 'user_id') : ['user_id'];
  const owner = await db.selectFrom('user_identities').select('user_pk').where('app_id', '=', appId).where('kind', 'in', kinds).where('value', '=', value).executeTakeFirst();
  const user = owner && (await db.selectFrom('users').selectAll().where('user_pk', '=', owner.user_pk).executeTakeFirst());
  if (!user) return undefined;
  const identities = (await db.selectFrom('user_identities').select(['kind', 'value']).where('user_pk', '=', user.user_pk).orderBy('kind').orderBy('value').execute()) as Identity[];
  const installs = await db.selectFrom('installs').select(INSTALL_COLUMNS).where('app_id', '=', appId).where('user_pk', '=', user.user_pk).orderBy('installed_at').execute();
  const events = await db.selectFrom('events').selectAll().where('user_pk', '=', user.user_pk).orderBy('occurred_at', 'desc').orderBy('event_pk', 'desc').limit(USER_RECORD_EVENTS).execute();
  const causes = [...installs.flatMap((i) => [`install:${i.install_id}`, `rejection:${i.install_id}`]), ...events.map((e) => `event:${e.event_pk}`)];
  const deliveries = [];
  for (let i = 0; i < causes.length; i += 500) {
    deliveries.push(...(await db.selectFrom('deliveries').selectAll().where('app_id', '=', appId).where('dedup_key', 'in', causes.slice(i, i + 500)).execute()));
  }
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    user: { ...user, created_at: Number(user.created_at), last_seen_at: Number(user.last_seen_at), engaged_until: n(user.engaged_until) },
    identities,
    installs: installs.map((i) => ({ ...i, installed_at: Number(i.installed_at), touched_at: n(i.touched_at) }) as InstallRow),
    events: events.map((e) => ({ ...e, occurred_at: Number(e.occurred_at), received_at: Number(e.received_at) })),
    deliveries: deliveries
      .map((d) => ({ ...d, created_at: Number(d.created_at), next_attempt_at: Number(d.next_attempt_at), expires_at: Number(d.expires_at), finished_at: n(d.finished_at), claimed_until: n(d.claimed_until) }))
      .sort((a, b) => a.created_at - b.created_at),
  };
}

async function listKnownDevices(db: Kysely<Database>, appId: string): Promise<Identity[]> {
  const rows = await db
    .selectFrom('user_identities')
    .innerJoin('users', 'users.user_pk', 'user_identities.user_pk')
    .select(['user_identities.kind', 'user_identities.value'])
    .where('user_identities.app_id', '=', appId)
    .where('user_identities.kind', 'in', [...DEVICE_ID_KINDS])
    .orderBy('users.created_at')
    .orderBy('user_identities.kind')
    .orderBy('user_identities.value')
    .execute();
  return rows as Identity[];
}

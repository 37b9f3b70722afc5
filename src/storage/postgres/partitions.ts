/**
 * Monthly range partitions of the history tables on PostgreSQL: `touchpoints` by created_at and
 * `events` by occurred_at (epoch ms), one partition a UTC month, named `<table>_pYYYYMM`, plus
 * a `<table>_pdefault` that catches a row of a month without a partition (an old backfill).
 * Pruning drops whole partitions: no row-by-row DELETE, no vacuum debt.
 */
import { sql, type QueryExecutorProvider } from 'kysely';
import type { HistoryPartitions } from '../dialect.js';
import { HISTORY_TABLES, type HistoryTable } from '../schema.js';

/** Months created ahead of the current one, so live traffic never lands in the default. */
export const MONTHS_AHEAD = 3;

/** Months are counted from year 0: 2026-11 is 2026 * 12 + 10. */
export function monthOf(timeMs: number): number {
  const d = new Date(timeMs);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

export function monthStartMs(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1);
}

export function partitionName(table: HistoryTable, month: number): string {
  return `${table}_p${Math.floor(month / 12)}${String((month % 12) + 1).padStart(2, '0')}`;
}

/** The month a partition named by partitionName holds, or undefined for any other name. */
export function partitionMonth(table: HistoryTable, name: string): number | undefined {
  const m = new RegExp(`^${table}_p(\\d{4})(\\d{2})$`).exec(name);
  return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : undefined;
}

/** Creates the monthly partitions of [fromMonth, toMonth] that do not exist yet; returns their names. */
export async function ensureMonthlyPartitions(db: QueryExecutorProvider, table: HistoryTable, fromMonth: number, toMonth: number): Promise<string[]> {
  const existing = new Set(await listPartitions(db, table));
  const created: string[] = [];
  for (let month = fromMonth; month <= toMonth; month++) {
    const name = partitionName(table, month);
    if (existing.has(name)) continue;
    try {
      await sql`create table if not exists ${sql.id(name)} partition of ${sql.id(table)} for values from (${sql.lit(monthStartMs(month))}) to (${sql.lit(monthStartMs(month + 1))})`.execute(db);
      created.push(name);
    } catch (error) {
      // 23514: rows of that month already sit in the default partition (a backfill got there
      // first); they stay there, still found by every query, and prune deletes them by time.
      // 42P07, 23505: another process created the same partition a moment ago.
      if (!['23514', '42P07', '23505'].includes((error as { code?: string }).code ?? '')) throw error;
    }
  }
  return created;
}

/** The partitions of a table, by name. */
export async function listPartitions(db: QueryExecutorProvider, table: HistoryTable): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select c.relname as name
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    join pg_class p on p.oid = i.inhparent
    join pg_namespace n on n.oid = p.relnamespace
    where p.relname = ${table} and n.nspname = current_schema()
    order by c.relname`.execute(db);
  return result.rows.map((r) => r.name);
}

/** The history tables' monthly partitions, as the PostgreSQL dialect's hooks. */
export const MONTHLY_PARTITIONS: HistoryPartitions = {
  async ensure(db, now) {
    const created: string[] = [];
    for (const table of Object.keys(HISTORY_TABLES) as HistoryTable[]) {
      created.push(...(await ensureMonthlyPartitions(db, table, monthOf(now), monthOf(now) + MONTHS_AHEAD)));
    }
    return created;
  },
  async dropBefore(db, table, cutoff) {
    // Whole months before the cutoff go in one DROP each; prune deletes the default partition's old rows.
    const dropped: string[] = [];
    for (const name of await listPartitions(db, table)) {
      const month = partitionMonth(table, name);
      if (month === undefined || monthStartMs(month + 1) > cutoff) continue;
      await sql`drop table ${sql.id(name)}`.execute(db);
      dropped.push(name);
    }
    return dropped;
  },
  rowsTable: (table) => `${table}_pdefault`,
};

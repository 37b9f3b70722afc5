import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import type { TestDatabase } from './backends.js';

/** Runs SQL on the test database behind the product's back ($1-style parameters). */
export async function rawQuery(db: TestDatabase, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
  if (db.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: db.env.DATABASE_URL });
    await client.connect();
    try {
      await client.query(`set search_path to "${db.env.DATABASE_SCHEMA}"`);
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  }
  const sqlite = new SqliteDatabase(path.join(db.env.DATA_DIR!, 's2s.sqlite'));
  try {
    // $n becomes ?, with the values in the order they appear.
    const order: number[] = [];
    const statement = sqlite.prepare(text.replace(/\$(\d+)/g, (_m, n: string) => (order.push(Number(n) - 1), '?')));
    const bound = order.map((i) => values[i]);
    return statement.reader ? (statement.all(...bound) as Record<string, unknown>[]) : (statement.run(...bound), []);
  } finally {
    sqlite.close();
  }
}

export async function rawSql(db: TestDatabase, statements: [string, unknown[]][]): Promise<void> {
  for (const [text, values] of statements) await rawQuery(db, text, values);
}

/** What migration 0011's `down` does, for tests that take the schema back to an earlier version. */
export const UNDO_0011: [string, unknown[]][] = [
  ['create index installs_ip_idx on installs (app_id, ip, installed_at) where ip is not null', []],
  ['create index installs_touchpoint_idx on installs (touchpoint_id) where touchpoint_id is not null', []],
  ['drop index installs_user_idx', []],
  ['drop index installs_counted_ip_idx', []],
  ['alter table installs drop column counted_ip', []],
];

import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import { migrationProvider } from '../../src/storage/migrations/index.js';
import type { TestDatabase } from './backends.js';

/** Runs SQL on the test database behind the product's back ($1-style parameters). */
export async function rawQuery(db: Pick<TestDatabase, 'env'>, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
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

/** Runs a migration's `down` on the test database, behind the product's back. */
export async function undoMigration(db: TestDatabase, migration: Migration): Promise<void> {
  const dialect = db.env.DATABASE_URL
    ? new PostgresDialect({ pool: new pg.Pool({ connectionString: db.env.DATABASE_URL, options: `-c search_path=${db.env.DATABASE_SCHEMA}`, max: 1 }) })
    : new SqliteDialect({ database: new SqliteDatabase(path.join(db.env.DATA_DIR!, 's2s.sqlite')) });
  const kysely = new Kysely<unknown>({ dialect });
  try {
    await migration.down!(kysely);
  } finally {
    await kysely.destroy();
  }
}

/**
 * The database as the version whose last migration was `last` left it: every later migration
 * undone, newest first (its `down` and its kysely_migration row). Returns their names, oldest
 * first, which is what the next `migrate` applies.
 */
export async function rewindTo(db: TestDatabase, last: string): Promise<string[]> {
  const migrations = await migrationProvider.getMigrations();
  const later = Object.keys(migrations).sort().filter((name) => name > last);
  for (const name of [...later].reverse()) {
    await undoMigration(db, migrations[name]!);
    await rawQuery(db, 'delete from kysely_migration where name = $1', [name]);
  }
  return later;
}

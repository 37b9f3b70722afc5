import { describe, expect, it } from 'vitest';
import SqliteDatabase from 'better-sqlite3';
import { StatementProfile } from '../../../../src/storage/sqlite/statement-profile.js';

describe('S2S_SQL_PROFILE', () => {
  it('counts and times each statement, and reports the costliest first', () => {
    const db = new SqliteDatabase(':memory:');
    const profile = new StatementProfile();
    const create = profile.wrap('create table t (x)', db.prepare('create table t (x)'));
    create.run();
    const insert = profile.wrap('insert into t values (?)', db.prepare('insert into t values (?)'));
    for (let i = 0; i < 2000; i++) insert.run(i);
    const select = profile.wrap('select count(*) as n from t', db.prepare('select count(*) as n from t'));
    expect(select.get()).toEqual({ n: 2000 });
    expect(select.reader).toBe(true);
    const lines = profile.report().trim().split('\n');
    expect(lines[0]).toMatch(/^SQLite statements by total time/);
    expect(lines[1]).toMatch(/^ +\d+ ms +2000 × +[\d.]+ µs {2}insert into t values \(\?\)$/);
    expect(lines.slice(1).map((l) => l.split('  ').pop())).toEqual(expect.arrayContaining(['create table t (x)', 'select count(*) as n from t']));
    db.close();
  });
});

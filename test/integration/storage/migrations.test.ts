import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../helpers/backends.js';
import { rawQuery, rawSql, rewindTo } from '../../helpers/raw-sql.js';

describe.each(BACKENDS)('migration 0013 (the ingest journal removed) on $name', (backend) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  /** The database as the previous version left it: the journal table there, 0013 (and what came after) not applied. */
  let pending: string[] = [];
  async function beforeUpgrade(entries: number): Promise<TestDatabase> {
    const opened = await openTestDatabase(backend);
    pending = await rewindTo(opened, '0012-delivery-answer-rule');
    const statements: [string, unknown[]][] = [];
    for (let i = 0; i < entries; i++) statements.push([`insert into ingest_journal (app_id, received_at, record) values ($1, $2, $3)`, ['app', 1, '{}']]);
    await rawSql(opened, statements);
    return opened;
  }

  const tables = async (d: TestDatabase) =>
    (await rawQuery(d, d.env.DATABASE_URL ? `select table_name as name from information_schema.tables where table_schema = current_schema()` : `select name from sqlite_master where type = 'table'`, [])).map((r) => r.name);

  it('refuses to drop a journal that still holds acknowledged conversions, saying how to drain it', async () => {
    db = await beforeUpgrade(2);
    await expect(db.store.migrate()).rejects.toThrow(/ingest_journal holds 2 conversion\(s\) acknowledged but not yet recorded: start the previous version/);
    expect(await tables(db)).toContain('ingest_journal');
    expect(Number((await rawQuery(db, 'select count(*) as n from ingest_journal', []))[0]!.n)).toBe(2);
  });

  it('drops an empty journal', async () => {
    db = await beforeUpgrade(0);
    expect(pending[0]).toBe('0013-drop-ingest-journal');
    expect((await db.store.migrate()).applied).toEqual(pending);
    expect(await tables(db)).not.toContain('ingest_journal');
  });
});

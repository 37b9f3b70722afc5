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

describe.each(BACKENDS)('migration 0015 (ad revenue, LTV by day) on $name', (backend) => {
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await db?.dispose();
    db = undefined;
  });

  it("fills in each install's revenue by day 0, 7 and 30 from the events stored before it", async () => {
    db = await openTestDatabase(backend);
    await rewindTo(db, '0014-app-aliases');
    const day = 86_400_000;
    const installed = Date.UTC(2026, 9, 1, 12);
    const event = (pk: string, at: number, usd: number | null) => [
      `insert into events (event_pk, app_id, user_pk, kind, name, occurred_at, received_at, revenue, currency, revenue_usd, source)
       values ($1, 'app', 'u1', 'purchase', 'buy', $2, $2, $3, 'USD', $3, 'test')`,
      [pk, at, usd],
    ] as [string, unknown[]];
    await rawSql(db, [
      [`insert into installs (install_id, app_id, user_pk, kind, installed_at, status, match_type, source, revenue_usd)
        values ('i1', 'app', 'u1', 'install', $1, 'organic', 'organic', 'test', 7)`, [installed]],
      event('e1', installed + 1000, 1),
      event('e2', installed + 5 * day, 2),
      event('e3', installed + 20 * day, 4),
      event('e4', installed + 40 * day, null),
    ]);
    await db.store.migrate();
    const [row] = await rawQuery(db, `select revenue_d0_usd, revenue_d7_usd, revenue_d30_usd, ad_revenue_usd, ad_impressions from installs where install_id = 'i1'`, []);
    expect(Object.values(row!).map(Number)).toEqual([1, 3, 7, 0, 0]);
  });
});

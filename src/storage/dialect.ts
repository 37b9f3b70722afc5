import type { Kysely } from 'kysely';
import type { Database, HistoryTable } from './schema.js';
import type { DialectName } from './store.js';

/**
 * What differs between databases, supplied by sqlite/ and postgres/: every query module
 * (catalog-queries.ts, ingest-queries.ts, …) runs the same Kysely queries over any dialect and
 * asks its hooks where the databases part ways.
 */
/** A batch statement's rows as its parameter (DialectHooks.batchParameter). */
export interface BatchParameter {
  value: unknown;
  release(): void;
}

export interface DialectHooks {
  readonly name: DialectName;
  readonly writeConcurrency: number;
  /**
   * The schema holding Kysely's migration tables. Kysely looks for them across all schemas
   * unless told, so two installs in two schemas of one database must each name theirs.
   */
  readonly migrationSchema?: string | undefined;
  /** Whether SELECT … FOR UPDATE SKIP LOCKED exists (PostgreSQL) for claiming deliveries. */
  readonly skipLocked: boolean;
  /**
   * What opens an ingest transaction, when more than `begin`: settings of that transaction
   * only, sent in the same round trip. PostgreSQL: nested loops over indexes. The batch
   * statements join a JSON parameter of a few rows to large tables by their keys, and
   * PostgreSQL plans them once per connection (named statements) for "about 100 rows" of
   * unknown values: measured, it chose hash joins over whole tables, 1.3-3.5 ms a statement at
   * 18 k users and growing with them, where the index probes take a tenth of that
   * (docs/performance.md).
   */
  readonly ingestBegin?: string | undefined;
  /**
   * How a batch statement (batch-sql.ts) receives its rows: the value bound to its one
   * parameter, and what to do once it ran. Absent: the rows as JSON text. SQLite hands them
   * over in memory (a table-valued function reads them), without writing or parsing JSON.
   */
  readonly batchParameter?: ((rows: readonly object[]) => BatchParameter) | undefined;
  /**
   * Runs one transaction (`run` opens it on the Kysely it is given) and answers once it is
   * durable; SQLite uses it to flush the WAL off the event loop. Absent: `run(db)`.
   */
  readonly durableTransaction?: <T>(db: Kysely<Database>, run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;
  /**
   * Runs an erasure's transaction so that what it deletes leaves no bytes behind: SQLite
   * overwrites deleted content with zeros (`secure_delete`) and then empties the WAL, which
   * still holds the pages as they were. Absent: `run(db)` (PostgreSQL keeps dead row versions
   * until VACUUM, which autovacuum runs; docs/security.md). `run` opens the transaction on
   * the Kysely it is given, as for `durableTransaction`.
   */
  readonly eraseSecurely?: <T>(db: Kysely<Database>, run: (db: Kysely<Database>) => Promise<T>) => Promise<T>;
  /** How the history tables are split up (by month on PostgreSQL, not at all on SQLite). */
  readonly partitions: HistoryPartitions;
  /** What the database's errors mean. */
  readonly errors: DialectErrors;
  /** Runs before migrations: e.g. creating the PostgreSQL schema. */
  prepare(db: Kysely<Database>): Promise<void>;
  /** Closes what Kysely does not own. */
  close(): Promise<void>;
}

/** The partitions of the history tables (schema.ts, HISTORY_TABLES), which `s2s prune` drops whole. */
export interface HistoryPartitions {
  /** Creates the coming months' partitions that do not exist yet; returns their names. */
  ensure(db: Kysely<Database>, now: number): Promise<string[]>;
  /** Drops the partitions of `table` that hold only rows from before `cutoff`; returns their names. */
  dropBefore(db: Kysely<Database>, table: HistoryTable, cutoff: number): Promise<string[]>;
  /** Where rows of `table` older than a cutoff are deleted one by one: the table, or its default partition. */
  rowsTable(table: HistoryTable): string;
}

/**
 * How one database's errors read. Each dialect knows only its own codes; storage/db.ts asks
 * every dialect, since an error never carries another database's code.
 */
export interface DialectErrors {
  /** "Try again later" (the database is down, full, read-only or busy), not "this request is wrong". */
  isTransient(error: Error): boolean;
  /** A transient error's code that means contention (another writer won this time), not an outage. */
  isContention(code: string): boolean;
  /** The database rolled the whole transaction back over a conflict with another: running it again is safe. */
  isRolledBackConflict(error: unknown): boolean;
  /** The catalog changed under a query (another install's DDL in the same database): nothing was changed. */
  isConcurrentCatalogChange(error: unknown): boolean;
  /** A query found no table: the database was never migrated. */
  isMissingTable(error: Error): boolean;
}

/** The code a database error carries (`SQLITE_FULL`, `57P01`, `ECONNREFUSED`), for logs. */
export function databaseErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

import { CompiledQuery, type Compilable, type QueryResult } from 'kysely';

/** Stand-in for the i-th value while a template compiles; never reaches a database. */
const SLOT = '\u0000slot:';

interface Template {
  sql: string;
  /** Per parameter: the index of the caller's value, or a constant of the query (e.g. a limit). */
  slots: (number | { constant: unknown })[];
}

interface Executor {
  executeQuery<R>(query: CompiledQuery<R>): Promise<QueryResult<R>>;
}

/**
 * Runs one compiled statement on the connection the open transaction holds, on the calling
 * thread, and returns its rows (`DialectHooks.runStatement`).
 */
export type StatementRunner = (sql: string, parameters: readonly unknown[]) => unknown[];

/**
 * Hot-path queries built and compiled by Kysely once, then run with new values: building and
 * compiling a query costs more CPU than SQLite takes to run the small queries of ingest (the
 * profile in docs/performance.md). The query stays written in Kysely; only the compile is reused.
 */
export class QueryTemplates {
  private readonly templates = new Map<string, Template>();

  /** `run`, when the dialect has one, runs every template instead of the executor passed to `rows`. */
  constructor(private readonly run?: StatementRunner) {}

  /**
   * Runs the query `build` makes from `values`, compiled the first time `key` is seen. `build`
   * gets stand-ins for the values and must make a query whose shape does not depend on them
   * (put anything that changes the shape, such as a list's length, in the key). Called only
   * inside a transaction, with the transaction as `executor`.
   */
  async rows<R>(executor: Executor, key: string, values: readonly unknown[], build: (slots: never[]) => Compilable<R>): Promise<R[]> {
    let template = this.templates.get(key);
    if (!template) {
      template = compileTemplate(values.length, build);
      this.templates.set(key, template);
    }
    const parameters = template.slots.map((slot) => (typeof slot === 'number' ? values[slot] : slot.constant));
    if (this.run) return this.run(template.sql, parameters) as R[];
    const result = await executor.executeQuery(CompiledQuery.raw(template.sql, parameters) as CompiledQuery<R>);
    return result.rows;
  }
}

function compileTemplate<R>(count: number, build: (slots: never[]) => Compilable<R>): Template {
  const stand = Array.from({ length: count }, (_, i) => `${SLOT}${i}`) as never[];
  const compiled = build(stand).compile();
  const slots = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(SLOT) ? Number(p.slice(SLOT.length)) : { constant: p }));
  const used = new Set(slots.filter((s): s is number => typeof s === 'number'));
  if (used.size !== count) throw new Error(`query template uses ${used.size} of its ${count} values: ${compiled.sql}`);
  return { sql: compiled.sql, slots };
}

import type SqliteDatabase from 'better-sqlite3';

interface Timing {
  calls: number;
  ns: bigint;
}

/**
 * `S2S_SQL_PROFILE=1`: times every statement the SQLite store runs and prints, when the process
 * exits, the 25 that took longest in all (total, calls, mean, SQL) to stderr. For finding where
 * an ingest or import spends its database time (docs/performance.md); it adds a
 * wrapper around every call, so it is off unless asked for.
 */
export class StatementProfile {
  private readonly timings = new Map<string, Timing>();

  static untilExit(out: NodeJS.WritableStream = process.stderr): StatementProfile {
    const profile = new StatementProfile();
    process.on('exit', () => out.write(profile.report()));
    return profile;
  }

  /** The statement, timed on every all/get/run. */
  wrap(sql: string, statement: SqliteDatabase.Statement): SqliteDatabase.Statement {
    const timing = this.timings.get(sql) ?? { calls: 0, ns: 0n };
    this.timings.set(sql, timing);
    const timed =
      <A extends unknown[], R>(run: (...args: A) => R) =>
      (...args: A): R => {
        const started = process.hrtime.bigint();
        try {
          return run.apply(statement, args);
        } finally {
          timing.calls++;
          timing.ns += process.hrtime.bigint() - started;
        }
      };
    return new Proxy(statement, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        const method = value as (...args: unknown[]) => unknown;
        return property === 'all' || property === 'get' || property === 'run' ? timed(method) : method.bind(target);
      },
    });
  }

  report(limit = 25): string {
    const rows = [...this.timings].filter(([, t]) => t.calls > 0).sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, limit);
    const lines = rows.map(([sql, t]) => {
      const ms = Number(t.ns) / 1e6;
      return `${ms.toFixed(0).padStart(8)} ms ${String(t.calls).padStart(9)} × ${((ms * 1000) / t.calls).toFixed(1).padStart(7)} µs  ${sql.replace(/\s+/g, ' ').slice(0, 200)}`;
    });
    return `SQLite statements by total time (S2S_SQL_PROFILE)\n${lines.join('\n')}\n`;
  }
}

/** How CLI commands print: a table for people, exactly one JSON document with --json. */

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Prints `document` as JSON, or `rows` as an aligned text table. */
export function printResult<T>(json: boolean, document: unknown, rows: T[], columns: Column<T>[]): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  process.stdout.write(formatTable(rows, columns));
}

export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = rows.map((row) => columns.map((c) => formatCell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]): string =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * A record shown as two columns, field and value (for a single created thing); `document`
 * is what --json prints when it differs from what the table shows.
 */
export function printRecord(json: boolean, record: Record<string, unknown>, document: unknown = record): void {
  const rows = Object.entries(record).map(([field, value]) => ({ field, value }));
  printResult(json, document, rows, [
    { header: 'field', value: (r) => r.field },
    { header: 'value', value: (r) => r.value },
  ]);
}

/** RFC 4180: a cell holding a comma, quote or newline is quoted; null is empty. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per row, each ending in a newline. */
export function formatCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((cells) => `${cells.map(csvCell).join(',')}\n`).join('');
}

/** A table cell: numbers are right-aligned when their whole column is numbers. */
export type Cell = string | number;

export interface TableOptions {
  /** A line of dashes under the headers (default true). */
  rule?: boolean;
  /** How a number is written (default String). */
  formatNumber?: (n: number) => string;
}

/**
 * The one table formatter: an aligned text table as lines (headers, an optional
 * rule, rows), trailing spaces trimmed; returned, so that a caller can print or
 * redraw it. Used by the CLI, the fleet's tools and the benchmarks.
 */
export function formatTable(headers: string[], rows: Cell[][], options: TableOptions = {}): string[] {
  const write = options.formatNumber ?? String;
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? write(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const rule = options.rule === false ? [] : [widths.map((w) => '-'.repeat(w)).join('  ')];
  return [line(headers), ...rule, ...text.map(line)];
}

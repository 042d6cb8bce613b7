/** An aligned text table as lines (headers, a rule, rows; numbers right-aligned), like scripts/lib/table.ts's printTable but returned, so it can be redrawn. */
export type Cell = string | number;

export function formatTable(headers: string[], rows: Cell[][]): string[] {
  const text = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)];
}

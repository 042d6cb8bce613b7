/** Where a command writes: results to stdout (one JSON object with --json), progress and notes to stderr. */
export interface CommandIO {
  json: boolean;
  out: (line: string) => void;
  err: NodeJS.WriteStream;
  signal: AbortSignal;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

/** A two-column table of labels and values for the human-readable result. */
export function keyValues(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

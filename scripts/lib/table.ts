import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type Cell = string | number;

/** Prints rows as an aligned text table (numbers right-aligned). */
export function printTable(headers: string[], rows: Cell[][]): void {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const line = (cells: string[], numeric: boolean[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === 'number'));
  console.log(line(headers, numeric));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of text) console.log(line(r, numeric));
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  return Math.abs(n) >= 1 ? n.toFixed(2) : n.toFixed(4);
}

/** Writes a benchmark's JSON under bench-results/ at the repository root; returns the path. */
export function writeResults(name: string, data: unknown): string {
  const path = resolve(__dirname, '../../../bench-results', `${name}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(data, null, 2) + '\n');
  return path;
}

/** `--name value` from process.argv, else the environment variable, else the fallback. */
export function option(name: string, env: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i !== -1 && process.argv[i + 1] !== undefined) return process.argv[i + 1];
  return process.env[env] ?? fallback;
}

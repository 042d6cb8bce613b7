import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Cell, formatTable } from '../../src/cli-kit/table';

export type { Cell };

/** Prints rows as an aligned text table (numbers right-aligned, written by formatNumber). */
export function printTable(headers: string[], rows: Cell[][]): void {
  for (const line of formatTable(headers, rows, { formatNumber })) console.log(line);
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

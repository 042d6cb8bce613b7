import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Refuses to write over an existing non-empty directory: outputs are never clobbered. */
export function assertWritableTarget(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new Error(`${dir} exists and is not a directory`);
  if (readdirSync(dir).length > 0) throw new Error(`${dir} already exists and is not empty: choose another --out`);
}

/**
 * Writes a directory all-or-nothing: `fill` writes into a hidden sibling which is
 * renamed into place only when it returns, so a crash or error never leaves a
 * half-written output behind.
 */
export async function writeDirAtomically(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  assertWritableTarget(dir);
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.partial-${process.pid}-${Date.now()}`);
  mkdirSync(tmp);
  try {
    await fill(tmp);
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

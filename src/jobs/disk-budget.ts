import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { freeSpace } from '../store/disk';

/** Room kept free beyond the estimate: database growth (transitions, outbox), logs, reports, the curve. */
export const GROWTH_MARGIN_BYTES = 8 * 1024 * 1024;

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) total += e.isFile() ? statSync(join(dir, e.name)).size : 0;
  return total;
}

/**
 * What a growth needs on disk: the candidate (the parent's files scaled by the
 * depth ratio, a generous bound: new blocks are no wider than the old), once
 * more for its all-or-nothing save (a hidden sibling renamed into place) and
 * once more for the version it becomes next to it, plus a fixed margin.
 */
export function growthBytesNeeded(parentDir: string, fromDepth: number, toDepth: number): number {
  const candidate = Math.ceil(dirBytes(parentDir) * Math.max(1, toDepth / Math.max(1, fromDepth)));
  return 3 * candidate + GROWTH_MARGIN_BYTES;
}

/** One line when the home's filesystem has less free space than the growth needs, else null. */
export function growthSpaceProblem(home: string, parentDir: string, fromDepth: number, toDepth: number): string | null {
  const needed = growthBytesNeeded(parentDir, fromDepth, toDepth);
  const free = freeSpace(home);
  if (free.bytes >= needed && free.inodes >= 64) return null;
  if (free.inodes < 64) return `not enough disk space to grow: ${free.inodes} free inodes in ${home}, 64 needed`;
  return `not enough disk space to grow: ${free.bytes} bytes free in ${home}, ${needed} needed`;
}

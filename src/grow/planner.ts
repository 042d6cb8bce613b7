import { MAX_DEPTH } from '../limits';
import { ArchSpec, depthOf } from '../model/arch';
import { InsertionPlan } from './types';
import { seedRefusal } from './seed';

/** How many blocks growing to `toDepth` adds; for a depth-0 head, the first is the seed (grow/seed.ts). */
export function newBlocksNeeded(spec: ArchSpec, toDepth: number): number {
  const depth = depthOf(spec);
  const refusal = seedRefusal(spec);
  if (refusal) throw new Error(refusal);
  if (!Number.isInteger(toDepth) || toDepth <= depth) {
    throw new Error(`--to-depth ${toDepth} must be a whole number above the model's current depth ${depth}`);
  }
  if (toDepth > MAX_DEPTH) throw new Error(`--to-depth ${toDepth} is above the largest supported depth ${MAX_DEPTH}`);
  return toDepth - depth;
}

/** k new blocks spread evenly over the existing blocks, so every stage deepens alike. */
export function spreadPlan(spec: ArchSpec, toDepth: number): InsertionPlan {
  const k = newBlocksNeeded(spec, toDepth);
  const n = depthOf(spec);
  if (n === 0) throw new Error('internal error: a depth-0 head is planned for after its seed (grow/seed.ts)');
  const afterIndices = Array.from({ length: k }, (_, j) => Math.min(n - 1, Math.floor(((j + 0.5) * n) / k)));
  return {
    afterIndices,
    strategy: 'spread',
    reason: spreadReason(
      n,
      afterIndices.map((i) => spec.blocks[i].name),
    ),
  };
}

/** "2 new blocks after hidden, the only existing block"; "3 new blocks spread evenly over the 2 existing blocks: after b0, b1 (2 in a row)". */
function spreadReason(existing: number, after: string[]): string {
  const added = `${after.length} new block${after.length === 1 ? '' : 's'}`;
  if (existing === 1) return `${added} after ${after[0]}, the only existing block`;
  if (after.length === 1) return `${added} after ${after[0]}, of the ${existing} existing blocks`;
  const counts = new Map<string, number>();
  for (const name of after) counts.set(name, (counts.get(name) ?? 0) + 1);
  const sites = [...counts].map(([name, c]) => (c === 1 ? name : `${name} (${c} in a row)`));
  return `${added} spread evenly over the ${existing} existing blocks: after ${sites.join(', ')}`;
}

/**
 * k new blocks where the scorer (e.g. a short DILS Stage I fit) reports the
 * lowest error; a site is reused only once every site has one.
 */
export function lowestErrorPlan(
  spec: ArchSpec,
  toDepth: number,
  errors: { afterIndex: number; error: number }[],
): InsertionPlan {
  const k = newBlocksNeeded(spec, toDepth);
  const ranked = [...errors].sort((a, b) => a.error - b.error);
  if (ranked.length === 0) throw new Error('lowest-error planning needs at least one scored site');
  const afterIndices = Array.from({ length: k }, (_, j) => ranked[j % ranked.length].afterIndex).sort((a, b) => a - b);
  return {
    afterIndices,
    strategy: 'lowest-error',
    candidateErrors: errors,
    reason: `${k} new block(s) after the block(s) whose Stage I local error was lowest: ${afterIndices.map((i) => `${spec.blocks[i].name}`).join(', ')}`,
  };
}

export function explicitPlan(spec: ArchSpec, afterIndices: number[]): InsertionPlan {
  for (const i of afterIndices) {
    if (!Number.isInteger(i) || i < 0 || i >= depthOf(spec))
      throw new Error(`insertion site ${i} is not a block index from 0 to ${depthOf(spec) - 1}`);
  }
  return {
    afterIndices: [...afterIndices].sort((a, b) => a - b),
    strategy: 'explicit',
    reason: `as requested: after ${afterIndices.map((i) => spec.blocks[i].name).join(', ')}`,
  };
}

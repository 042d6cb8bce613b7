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
    reason: `${k} new block(s) spread evenly over the ${n} existing block(s): after ${afterIndices.map((i) => spec.blocks[i].name).join(', ')}`,
  };
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

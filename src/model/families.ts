import { MAX_DEPTH } from '../limits';
import { ArchSpec, Block, Family, blockName, FAMILIES } from './arch';

export interface FamilyOptions {
  family: Family;
  depth: number;
  inputShape: number[];
  classes: number;
  /** Width of hidden layers (mlp units) or of the first stage (conv/resnet filters). */
  width?: number;
  batchNorm?: boolean;
  residualRatio?: number;
  output?: 'softmax' | 'linear';
}

function assertDepth(depth: number): void {
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
    throw new Error(`depth ${depth} is not a whole number from 1 to ${MAX_DEPTH}`);
  }
}

function mlpBlocks(depth: number, width: number): Block[] {
  return Array.from({ length: depth }, (_, i) => ({
    kind: 'dense',
    name: blockName(i),
    units: width,
    activation: 'relu',
  }));
}

/**
 * VGG-like stacks: widths double every stage, a 2x2 pool ends each stage, and
 * there are at most as many stages as the input can be halved (down to 4x4).
 */
function convBlocks(depth: number, width: number, batchNorm: boolean, inputShape: number[]): Block[] {
  const maxStages = Math.max(1, Math.min(3, Math.floor(Math.log2(Math.min(inputShape[0], inputShape[1]) / 4)) + 1));
  const stages = Math.min(depth, maxStages);
  const blocks: Block[] = [];
  for (let i = 0; i < depth; i++) {
    const stage = Math.min(stages - 1, Math.floor((i * stages) / depth));
    const nextStage = Math.min(stages - 1, Math.floor(((i + 1) * stages) / depth));
    blocks.push({
      kind: 'conv',
      name: blockName(i),
      filters: width * 2 ** stage,
      kernel: 3,
      batchNorm,
      activation: 'relu',
      poolAfter: i === depth - 1 || nextStage !== stage,
    });
  }
  return blocks;
}

/** ResNet basic blocks in up to three stages; the first block of a later stage downsamples. */
function resBlocks(depth: number, width: number, ratio: number): Block[] {
  const stages = Math.min(depth, 3);
  const blocks: Block[] = [];
  let prevStage = 0;
  for (let i = 0; i < depth; i++) {
    const stage = Math.floor((i * stages) / depth);
    blocks.push({
      kind: 'res',
      name: blockName(i),
      filters: width * 2 ** stage,
      stride: stage !== prevStage ? 2 : 1,
      residualRatio: ratio,
    });
    prevStage = stage;
  }
  return blocks;
}

export function assertFamily(name: string): Family {
  if (!(FAMILIES as readonly string[]).includes(name)) {
    throw new Error(`unknown model family '${name}': use ${FAMILIES.join(', ')}`);
  }
  return name as Family;
}

/** The architecture of a fresh model of a family at a depth. */
export function familySpec(opts: FamilyOptions): ArchSpec {
  assertDepth(opts.depth);
  const base = {
    family: opts.family,
    inputShape: [...opts.inputShape],
    classes: opts.classes,
    output: opts.output,
    nextBlockId: opts.depth,
  };
  switch (opts.family) {
    case 'mlp':
      return { ...base, blocks: mlpBlocks(opts.depth, opts.width ?? 256) };
    case 'conv':
      if (opts.inputShape.length !== 3)
        throw new Error(`the conv family needs image input [H, W, C], got [${opts.inputShape.join(', ')}]`);
      return { ...base, blocks: convBlocks(opts.depth, opts.width ?? 16, opts.batchNorm ?? false, opts.inputShape) };
    case 'resnet':
      if (opts.inputShape.length !== 3)
        throw new Error(`the resnet family needs image input [H, W, C], got [${opts.inputShape.join(', ')}]`);
      return {
        ...base,
        stemFilters: opts.width ?? 16,
        blocks: resBlocks(opts.depth, opts.width ?? 16, opts.residualRatio ?? 1),
      };
    case 'keras':
      throw new Error('keras models are imported, not built from a family');
  }
}

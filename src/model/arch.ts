// An architecture spec is the source of truth for a deepend model's structure:
// the TF.js graph is built from it, it is stored in meta.json, and growth is an
// edit of its block list. Every layer name derives from its block's name, so a
// grown model's weights can be copied from its parent layer by layer, by name.

export type Family = 'mlp' | 'conv' | 'resnet';
export const FAMILIES: readonly Family[] = ['mlp', 'conv', 'resnet'];

/** Hidden dense layer: dense(units) -> activation. */
export interface DenseBlock {
  kind: 'dense';
  name: string;
  units: number;
  /** 'prelu' starts as the identity (alpha = 1) when inserted by morphism. */
  activation: 'relu' | 'prelu';
}

/** conv(filters, kernel x kernel, same padding) -> [BatchNorm] -> activation -> [2x2 max-pool]. */
export interface ConvBlock {
  kind: 'conv';
  name: string;
  filters: number;
  kernel: number;
  batchNorm: boolean;
  activation: 'relu' | 'prelu';
  poolAfter: boolean;
}

/**
 * ResNet basic block: conv3x3-BN-ReLU-conv3x3-BN, added to the shortcut, then ReLU.
 * The shortcut is r * x (the morphism paper's residual ratio r; r = 1 is He et al.)
 * or, when the stride or channel count changes, a 1x1 projection conv.
 */
export interface ResBlock {
  kind: 'res';
  name: string;
  filters: number;
  stride: 1 | 2;
  residualRatio: number;
}

export type Block = DenseBlock | ConvBlock | ResBlock;

export interface ArchSpec {
  family: Family;
  /** Per-sample input shape: [H, W, C] for images, [F] for tabular data. */
  inputShape: number[];
  /** Output units: classes for a classifier, targets for regression. */
  classes: number;
  /** 'softmax' (classifier, the default) or 'linear' (regression, e.g. the DILS paper's function fit). */
  output?: 'softmax' | 'linear';
  /** conv/resnet only: the stem before the blocks (resnet: conv3x3-BN-ReLU with this many filters). */
  stemFilters?: number;
  blocks: Block[];
  /** Next free number for naming a new block (b0, b1, ...): names are never reused. */
  nextBlockId: number;
}

/** Depth as the design counts it: hidden dense layers, conv layers or residual blocks. */
export function depthOf(spec: ArchSpec): number {
  return spec.blocks.length;
}

export function blockName(id: number): string {
  return `b${id}`;
}

/** Channels (or units) a block outputs. */
export function blockWidth(block: Block): number {
  return block.kind === 'dense' ? block.units : block.filters;
}

export function cloneSpec(spec: ArchSpec): ArchSpec {
  return JSON.parse(JSON.stringify(spec)) as ArchSpec;
}

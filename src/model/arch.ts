// An architecture spec is the source of truth for a deepend model's structure:
// the TF.js graph is built from it, it is stored in meta.json, and growth is an
// edit of its block list. Every layer name derives from its block's name, so a
// grown model's weights can be copied from its parent layer by layer, by name.

/** deepend's own families, and 'keras': a chain of Keras layers from a model deepend imported (src/model/keras/). */
export type Family = 'mlp' | 'conv' | 'resnet' | 'keras';
/** The families `deepend train` builds. */
export const FAMILIES: readonly Family[] = ['mlp', 'conv', 'resnet'];

/**
 * The last nonlinearity of a block. deepend builds only 'relu' and 'prelu';
 * an imported unit may also end in 'relu6' or any other activation ('nonlinear':
 * elu, tanh, LeakyReLU, ...) or in none ('linear', e.g. a unit ending in its BatchNorm).
 */
export type BlockActivation = 'relu' | 'prelu' | 'relu6' | 'nonlinear' | 'linear';

/** A Keras layer as model.json stores it: class name and (snake_case) config, config.name included. */
export interface KerasLayer {
  className: string;
  config: Record<string, unknown>;
}

/**
 * The layers of an imported block in chain order: the Dense or Conv2D itself
 * (`core`), then the BatchNormalization and activation layers that follow it,
 * in the order the model has them.
 */
export interface KerasUnit {
  layers: KerasLayer[];
}

/** What the model's last layer outputs, which decides the loss and how a class is read off. */
export type OutputKind = 'softmax' | 'logits' | 'sigmoid' | 'linear';

/**
 * One output unit for two classes: a sigmoid's probability of class 1, or (logits) the raw score whose sigmoid
 * that is, as a Dense(1) trained with binary cross-entropy from logits gives it.
 */
export function isOneUnitBinary(output: OutputKind | undefined, units: number): boolean {
  return units === 1 && (output === 'sigmoid' || output === 'logits');
}

/**
 * A one-unit output names class 1 when it is above this: p > 0.5 for a sigmoid, z > 0 for a logit (the same
 * answer, as sigmoid(0) = 0.5; Keras's binary accuracy also counts only values strictly above it).
 */
export function oneUnitThreshold(output: OutputKind | undefined): number {
  return output === 'logits' ? 0 : 0.5;
}

/**
 * How a client reads an answer row of `values` numbers (inspect --json, the serving metadata): what they are, and
 * how the class is read off ('argmax', or for one value 'above 0' for a logit and 'above 0.5' for a sigmoid).
 */
export interface OutputReading {
  kind: OutputKind;
  values: number;
  classOf: 'argmax' | 'above 0' | 'above 0.5';
}

export function outputReading(output: OutputKind | undefined, values: number): OutputReading {
  const kind = output ?? 'softmax';
  if (!isOneUnitBinary(kind, values)) return { kind, values, classOf: 'argmax' };
  return { kind, values, classOf: kind === 'logits' ? 'above 0' : 'above 0.5' };
}

/** Hidden dense layer: dense(units) -> activation. */
export interface DenseBlock {
  kind: 'dense';
  name: string;
  units: number;
  /** 'prelu' starts as the identity (alpha = 1) when inserted by morphism. */
  activation: BlockActivation;
  /** Imported blocks: the Keras layers of the unit (their names are the model's own). */
  keras?: KerasUnit;
}

/** conv(filters, kernel x kernel, same padding) -> [BatchNorm] -> activation -> [2x2 max-pool]. */
export interface ConvBlock {
  kind: 'conv';
  name: string;
  filters: number;
  kernel: number;
  batchNorm: boolean;
  activation: BlockActivation;
  poolAfter: boolean;
  /** Imported blocks: the Keras layers of the unit; pooling is then a layer of the chain, never poolAfter. */
  keras?: KerasUnit;
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

export type ChainItem = { block: string } | { layer: KerasLayer };

export interface ArchSpec {
  family: Family;
  /** Per-sample input shape: [H, W, C] for images, [F] for tabular data. */
  inputShape: number[];
  /** Output units: classes for a classifier, targets for regression. */
  classes: number;
  /** 'softmax' (classifier, the default), 'logits' or 'sigmoid' (imported classifiers) or 'linear' (regression, e.g. the DILS paper's function fit). */
  output?: OutputKind;
  /** conv/resnet only: the stem before the blocks (resnet: conv3x3-BN-ReLU with this many filters). */
  stemFilters?: number;
  blocks: Block[];
  /**
   * family 'keras' only: every layer of the trainable chain in order, a block
   * standing for its unit's layers. Everything that is not a block (pooling,
   * Flatten, Dropout, the output layer, ...) is kept as the model had it.
   */
  chain?: ChainItem[];
  /** family 'keras' only: the name of the chain's input layer. */
  inputName?: string;
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

import { tf, tfl } from '../../tf';
import { ArchSpec, Block } from '../../model/arch';
import { layerNames } from '../../model/build';
import { unitLayerNames } from '../../model/units';
import { mulberry32 } from '../../data/random';
import { buildGrown, insertBlocks, Insertion } from '../../model/surgery';
import { InitialiseContext } from '../types';

export interface InsertedModel {
  model: tfl.LayersModel;
  spec: ArchSpec;
  insertions: Insertion[];
  /** The new blocks, in the grown spec. */
  newBlocks: Block[];
}

/** Grows the parent's spec by the plan and builds it with every parent weight copied by name; new layers keep their He init. */
export function insertPlanned(ctx: Pick<InitialiseContext, 'parent' | 'parentSpec' | 'plan'>): InsertedModel {
  const { spec, insertions } = insertBlocks(ctx.parentSpec, ctx.plan.afterIndices);
  const { model } = buildGrown(ctx.parent, spec);
  const names = new Set(insertions.map((i) => i.inserted));
  return { model, spec, insertions, newBlocks: spec.blocks.filter((b) => names.has(b.name)) };
}

/** The layers of a block. */
export function layersOfBlock(model: tfl.LayersModel, block: Block): tfl.layers.Layer[] {
  if (block.kind === 'res') return model.layers.filter((l) => l.name.startsWith(`${block.name}_`));
  return unitLayerNames(block).all.map((name) => model.getLayer(name));
}

/** Adds seeded uniform noise of standard deviation `std` to a tensor (consumes it). */
function withNoise(t: tf.Tensor, std: number, seed: number): tf.Tensor {
  if (std === 0) return t;
  const random = mulberry32(seed);
  const values = t.dataSync().slice();
  const half = std * Math.sqrt(3);
  for (let i = 0; i < values.length; i++) values[i] += (random() * 2 - 1) * half;
  const shape = t.shape;
  t.dispose();
  return tf.tensor(values, shape);
}

/** He-normal standard deviation for a layer with this fan-in: noise is given as a fraction of it. */
function heStd(fanIn: number): number {
  return Math.sqrt(2 / fanIn);
}

/** Sets a Dense or Conv2D core to the identity map (W = I or a centred delta, b = 0), keeping a bias only where the layer has one. */
function setCoreIdentity(layer: tfl.layers.Layer, block: Block, noise: number, seed: number): void {
  const hasBias = layer.getWeights().length > 1;
  if (block.kind === 'dense') {
    const kernel = withNoise(tf.eye(block.units), noise * heStd(block.units), seed);
    layer.setWeights(hasBias ? [kernel, tf.zeros([block.units])] : [kernel]);
  } else if (block.kind === 'conv') {
    const kernel = withNoise(
      centredDeltaKernel(block.kernel, block.filters),
      noise * heStd(block.kernel * block.kernel * block.filters),
      seed,
    );
    layer.setWeights(hasBias ? [kernel, tf.zeros([block.filters])] : [kernel]);
  }
}

/**
 * Net2DeeperNet-style function-preserving start of a new block whose input x
 * is non-negative (it follows a ReLU, ReLU6 or an identity-started PReLU), so x
 * is what it must output: dense W = I, b = 0; conv a centred delta; BatchNorm
 * the identity in inference mode; residual conv1 = delta, conv2 = (1 - r) delta
 * so r x + (1 - r) x = x. `noise` adds symmetry-breaking noise, as a fraction
 * of the He standard deviation.
 */
export function setIdentityWeights(model: tfl.LayersModel, block: Block, noise: number, seed: number): void {
  tf.tidy(() => {
    if (block.kind === 'res') {
      const n = layerNames.res(block.name);
      const std = noise * heStd(9 * block.filters);
      model.getLayer(n.conv1).setWeights([withNoise(centredDeltaKernel(3, block.filters), std, seed)]);
      model
        .getLayer(n.conv2)
        .setWeights([withNoise(centredDeltaKernel(3, block.filters, 1 - block.residualRatio), std, seed + 1)]);
      setBatchNormIdentity(model.getLayer(n.bn1));
      setBatchNormIdentity(model.getLayer(n.bn2));
      return;
    }
    const unit = unitLayerNames(block);
    setCoreIdentity(model.getLayer(unit.core), block, noise, seed);
    if (unit.bn) setBatchNormIdentity(model.getLayer(unit.bn));
  });
}

/** A k x k x c x c kernel that passes channel i straight through (a centred delta), scaled. */
export function centredDeltaKernel(kernel: number, channels: number, scale = 1): tf.Tensor4D {
  const values = new Float32Array(kernel * kernel * channels * channels);
  const mid = Math.floor(kernel / 2);
  for (let c = 0; c < channels; c++) values[((mid * kernel + mid) * channels + c) * channels + c] = scale;
  return tf.tensor4d(values, [kernel, kernel, channels, channels]);
}

/** setWeights copies into the layer's variables; the given tensors are ours to dispose. */
export function assignWeights(layer: tfl.layers.Layer, weights: tf.Tensor[]): void {
  layer.setWeights(weights);
  weights.forEach((w) => {
    w.dispose();
  });
}

/** Sets a BatchNormalization layer to the identity in inference mode: gamma 1, beta 0, mean 0, variance 1 - epsilon. */
export function setBatchNormIdentity(layer: tfl.layers.Layer): void {
  const [gamma] = layer.getWeights();
  const channels = gamma.shape[0];
  const epsilon = (layer.getConfig().epsilon as number | undefined) ?? 1e-3;
  assignWeights(layer, [
    tf.ones([channels]),
    tf.zeros([channels]),
    tf.zeros([channels]),
    tf.fill([channels], 1 - epsilon),
  ]);
}

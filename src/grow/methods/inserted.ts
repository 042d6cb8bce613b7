import { tf, tfl } from '../../tf';
import { ArchSpec, Block } from '../../model/arch';
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

/** Layers that belong to a block (their names start with the block's name and '_'). */
export function layersOfBlock(model: tfl.LayersModel, blockName: string): tfl.layers.Layer[] {
  return model.layers.filter((l) => l.name.startsWith(`${blockName}_`));
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
  weights.forEach((w) => w.dispose());
}

/** Sets a BatchNormalization layer to the identity in inference mode: gamma 1, beta 0, mean 0, variance 1 - epsilon. */
export function setBatchNormIdentity(layer: tfl.layers.Layer): void {
  const [gamma] = layer.getWeights();
  const channels = gamma.shape[0];
  const epsilon = (layer.getConfig().epsilon as number | undefined) ?? 1e-3;
  assignWeights(layer, [tf.ones([channels]), tf.zeros([channels]), tf.zeros([channels]), tf.fill([channels], 1 - epsilon)]);
}

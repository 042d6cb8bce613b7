import { tf, tfl } from '../../tf';
import { ConvBlock, DenseBlock } from '../../model/arch';
import { unitLayerNames } from '../../model/units';
import { decomposeConv, SecondSupport } from './conv-decomposition';
import { decompose, DecomposeOptions, Decomposition } from './decompose';
import { batchNormEpsilon, channelVariance, setBatchNormUnitAffine, setPreluIdentity } from './layers';
import { matrixComposition } from './matrix-composition';

/** Data for the moving variance of the BatchNorm inserted between F_l and F_{l+1}. */
export interface StatisticsData {
  x: tf.Tensor;
  limit: number;
}

export interface SplitRequest<B> {
  model: tfl.LayersModel;
  /** The block whose layer G is split; it keeps F_l and ends in a PReLU with a = 1. */
  owner: B;
  /** The new block after it; it gets F_{l+1} and the owner's bias, BatchNorm and activation. */
  added: B;
  options: Omit<DecomposeOptions, 'expand'>;
  support?: SecondSupport;
  statistics?: StatisticsData;
}

/** How the BatchNorm between F_l and F_{l+1} got its moving statistics. */
export type BatchNormStatistics = 'none' | 'data-variance' | 'identity';

export type SplitResult = Omit<Decomposition, 'first' | 'second'> & { batchNorm: BatchNormStatistics };

function cloned(layer: tfl.layers.Layer): tf.Tensor[] {
  // getWeights() hands out the variables themselves: copy before overwriting any.
  return layer.getWeights().map((w) => tf.clone(w));
}

/** [kernel] or [kernel, bias], as the layer has a bias or not. */
function withBias(layer: tfl.layers.Layer, kernel: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor[] {
  return layer.getWeights().length > 1 ? [kernel, bias ?? tf.zeros([kernel.shape[kernel.shape.length - 1]])] : [kernel];
}

function stats(d: Decomposition, batchNorm: BatchNormStatistics): SplitResult {
  const { first, second, ...rest } = d;
  tf.dispose([first, second]);
  return { ...rest, batchNorm };
}

/** eq. 8: the new block inherits the owner's activation (a learned PReLU keeps its a); the owner's becomes PReLU with a = 1. */
function moveActivation(model: tfl.LayersModel, ownerAct: string, addedAct: string | undefined): void {
  const owner = model.getLayer(ownerAct);
  if (addedAct !== undefined && model.getLayer(addedAct).getClassName() === 'PReLU') {
    const alpha = cloned(owner);
    model.getLayer(addedAct).setWeights(alpha);
    tf.dispose(alpha);
  }
  setPreluIdentity(owner);
}

/**
 * eq. 9 where the owner's unit has a BatchNorm after G: the new block takes it over (with its moving statistics),
 * and the owner's becomes the BatchNorm inserted between F_l and F_{l+1}, gamma 1, beta 0, moving mean 0 and moving
 * variance v (F_l's output variance on training data, or 1 - eps without data). F_{l+1}'s input channels (the rows
 * of `second`, whose last axis is the output) are multiplied by sqrt(v + eps) to undo its division, so inference is
 * exact. Returns the scaled F_{l+1} (`second` is disposed) and how v was found.
 */
function handOverBatchNorm(
  req: SplitRequest<DenseBlock | ConvBlock>,
  second: tf.Tensor,
  channels: number,
): { second: tf.Tensor; batchNorm: BatchNormStatistics } {
  const n = unitLayerNames(req.owner);
  const a = unitLayerNames(req.added);
  if (!n.bn) return { second, batchNorm: 'none' };
  if (!a.bn) throw new Error(`morphism: block ${req.added.name} has no BatchNorm to take over ${n.bn}`);
  const { model } = req;
  const ownerBn = model.getLayer(n.bn);
  const original = cloned(ownerBn);
  model.getLayer(a.bn).setWeights(original);
  tf.dispose(original);
  const eps = batchNormEpsilon(ownerBn);
  const variance = req.statistics
    ? channelVariance(model, n.core, req.statistics.x, req.statistics.limit)
    : (tf.fill([channels], 1 - eps) as tf.Tensor1D);
  setBatchNormUnitAffine(ownerBn, variance);
  const inputAxis = second.shape.length - 2;
  const shape = second.shape.map((_, axis) => (axis === inputAxis ? -1 : 1));
  const scaled = tf.tidy(() => tf.mul(second, tf.reshape(tf.sqrt(tf.add(variance, eps)), shape)));
  variance.dispose();
  second.dispose();
  return { second: scaled, batchNorm: req.statistics ? 'data-variance' : 'identity' };
}

/**
 * PlainNet iteration (section 3.3, Fig. 4a) for a dense block: W = W_l W_{l+1}
 * (eq. 5 with 1 x 1 kernels) by optGD; W_l keeps a zero bias, W_{l+1} takes b,
 * and a BatchNorm of the owner's unit is handed over as for a conv block (eq. 9).
 */
export function splitDense(req: SplitRequest<DenseBlock>): SplitResult {
  const n = unitLayerNames(req.owner);
  const a = unitLayerNames(req.added);
  const ownerDense = req.model.getLayer(n.core);
  const [w, b] = cloned(ownerDense);
  try {
    const [ci, cj] = w.shape;
    const d = decompose(matrixComposition(ci, cj, cj), w, req.options);
    tf.tidy(() => ownerDense.setWeights(withBias(ownerDense, d.first, b && tf.zerosLike(b))));
    const { second, batchNorm } = handOverBatchNorm(req, d.second, cj);
    const added = req.model.getLayer(a.core);
    tf.tidy(() => added.setWeights(withBias(added, second, b ?? tf.zeros([cj]))));
    moveActivation(req.model, n.act!, a.act);
    return stats({ ...d, second }, batchNorm);
  } finally {
    tf.dispose([w, b]);
  }
}

/**
 * PlainNet iteration for a conv block: G = F_l (*) F_{l+1} (eq. 5) by optGD.
 * Block m keeps F_l (zero bias) and gets a PReLU with a = 1 (eq. 8); the new
 * block takes F_{l+1}, G's bias, m's BatchNorm, activation and pool.
 *
 * m's BatchNorm slot becomes eq. 9's inserted BatchNorm, gamma 1 and beta 0.
 * Its moving mean is 0 and its moving variance v is the per-channel variance of
 * F_l's output on training data; F_{l+1}'s input channels are multiplied by
 * sqrt(v + eps) to undo the division. Inference is then exact, and in training
 * mode (batch statistics ~ v) the BatchNorm still only divides by what F_{l+1}
 * multiplies back; its batch-mean subtraction is a per-channel constant that
 * the 1 x 1 F_{l+1} carries to a constant the new block's own BatchNorm
 * removes. (Moving variance 1 - eps, the identity, is used without data: exact
 * in inference, but Stage II's first batches would rescale every channel.)
 */
export function splitConv(req: SplitRequest<ConvBlock>): SplitResult {
  const n = unitLayerNames(req.owner);
  const a = unitLayerNames(req.added);
  const { model, owner, added } = req;
  const ownerConv = model.getLayer(n.core);
  const weights = cloned(ownerConv);
  const [g, bias] = weights;
  try {
    const d = decomposeConv(g as tf.Tensor4D, added.kernel, { ...req.options, support: req.support });
    tf.tidy(() => ownerConv.setWeights(withBias(ownerConv, d.first, bias && tf.zerosLike(bias))));
    const { second, batchNorm } = handOverBatchNorm(req, d.second, owner.filters);
    const addedConv = model.getLayer(a.core);
    tf.tidy(() => addedConv.setWeights(withBias(addedConv, second, bias ?? tf.zeros([owner.filters]))));
    moveActivation(model, n.act!, a.act);
    return stats({ ...d, second }, batchNorm);
  } finally {
    tf.dispose(weights);
  }
}

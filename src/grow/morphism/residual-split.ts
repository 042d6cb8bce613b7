import { tf, tfl } from '../../tf';
import { ResBlock } from '../../model/arch';
import { layerNames } from '../../model/build';
import { setBatchNormIdentity } from '../methods/inserted';
import { centreTap } from './conv-composition';
import { decompose, DecomposeOptions } from './decompose';
import { matrixComposition } from './matrix-composition';
import { SplitResult } from './split';

/**
 * ResNet iteration (section 3.3, Fig. 4b): the new block is a copy of the
 * template block whose shortcut keeps r * Id and whose branch must compute
 * (1 - r) * Id, so that ReLU(r x + (1 - r) x) = x for its (post-ReLU, x >= 0)
 * input. The (1 - r) * Id target is decomposed into conv1 and conv2 by optGD
 * (eq. 5, Algorithm 1); both BatchNorms are identities in inference mode (eq. 9:
 * gamma 1, beta 0, moving mean 0, moving variance 1 - eps).
 *
 * The branch has a plain ReLU between conv1 and conv2 (the template's, not a
 * PReLU), so it is harmless only if conv1's output is never negative. The input
 * x is non-negative, so a non-negative conv1 filter is enough (and, for
 * arbitrary x >= 0, necessary): optGD runs with F_l projected onto >= 0.
 *
 * Both factors live on the centre tap: the target is a centre-only kernel, and
 * with an invertible centre F_{l+1} every off-centre tap of F_l must come out
 * zero anyway, so searching over them only slows optGD (measured: C = 64 still
 * at 1e-2 after 1000 iterations with a 3 x 3 F_l, 1e-4 in ~800 on the centre).
 * With r = 1 the target is zero: conv2 = 0 and conv1 keeps non-negative noise.
 */
export function initialiseResidualBlock(
  model: tfl.LayersModel,
  block: ResBlock,
  options: Omit<DecomposeOptions, 'expand'>,
): SplitResult {
  const n = layerNames.res(block.name);
  const c = block.filters;
  const target = tf.tidy(() => tf.mul(tf.eye(c), 1 - block.residualRatio));
  const d = decompose(matrixComposition(c, c, c), target, { ...options, nonNegativeFirst: true });
  target.dispose();
  const conv1 = centreTap(d.first, 3);
  const conv2 = centreTap(d.second, 3);
  model.getLayer(n.conv1).setWeights([conv1]);
  model.getLayer(n.conv2).setWeights([conv2]);
  tf.tidy(() => {
    setBatchNormIdentity(model.getLayer(n.bn1));
    setBatchNormIdentity(model.getLayer(n.bn2));
  });
  tf.dispose([conv1, conv2]);
  const { first, second, ...rest } = d;
  tf.dispose([first, second]);
  return { ...rest, batchNorm: 'identity' };
}

import { tf, tfl } from '../../tf';
import { Block } from '../../model/arch';
import { layerNames } from '../../model/build';
import { mulberry32 } from '../../data/random';
import { GrowthMethod, InitialiseContext, Initialised } from '../types';
import { assignWeights, centredDeltaKernel, insertPlanned, setBatchNormIdentity } from './inserted';

/** Standard deviation of the optional symmetry-breaking noise; 0 keeps the function exactly. */
export const IDENTITY_NOISE = 0;

function withNoise(t: tf.Tensor, std: number, seed: number): tf.Tensor {
  if (std === 0) return t;
  const random = mulberry32(seed);
  const values = t.dataSync().slice();
  for (let i = 0; i < values.length; i++) values[i] += (random() * 2 - 1) * std * Math.sqrt(3);
  t.dispose();
  return tf.tensor(values, t.shape);
}

/**
 * Net2DeeperNet-style function-preserving insertion. Every new block follows a
 * ReLU (or an identity-started PReLU), so its input x is what it must output:
 * dense: W = I, b = 0; conv: a centred-delta kernel; BatchNorm: identity in
 * inference mode; residual: conv1 = delta, conv2 = (1 - r) * delta, so that
 * r*x + (1 - r)*x = x (for r = 1 the branch's last conv starts at zero).
 */
function initialiseIdentity(model: tfl.LayersModel, block: Block, noise: number, seed: number): void {
  switch (block.kind) {
    case 'dense': {
      const n = layerNames.dense(block.name);
      assignWeights(model.getLayer(n.dense), [withNoise(tf.eye(block.units), noise, seed), tf.zeros([block.units])]);
      return;
    }
    case 'conv': {
      const n = layerNames.conv(block.name);
      const kernel = withNoise(centredDeltaKernel(block.kernel, block.filters), noise, seed);
      assignWeights(model.getLayer(n.conv), block.batchNorm ? [kernel] : [kernel, tf.zeros([block.filters])]);
      if (block.batchNorm) setBatchNormIdentity(model.getLayer(n.bn));
      return;
    }
    case 'res': {
      const n = layerNames.res(block.name);
      assignWeights(model.getLayer(n.conv1), [withNoise(centredDeltaKernel(3, block.filters), noise, seed)]);
      assignWeights(model.getLayer(n.conv2), [withNoise(centredDeltaKernel(3, block.filters, 1 - block.residualRatio), noise, seed + 1)]);
      setBatchNormIdentity(model.getLayer(n.bn1));
      setBatchNormIdentity(model.getLayer(n.bn2));
      return;
    }
  }
}

export const identityMethod: GrowthMethod = {
  name: 'identity',
  usesInitBudget: false,
  async initialise(ctx: InitialiseContext): Promise<Initialised> {
    const grown = insertPlanned(ctx);
    grown.newBlocks.forEach((b, i) => initialiseIdentity(grown.model, b, IDENTITY_NOISE, ctx.seed + i));
    return { model: grown.model, spec: grown.spec, insertions: grown.insertions, curves: [], details: { noise: IDENTITY_NOISE } };
  },
};

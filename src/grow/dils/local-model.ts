import { tf, tfl } from '../../tf';
import { Block, blockWidth } from '../../model/arch';
import { applyBlock, copyWeightsByName, layerNames } from '../../model/build';
import { mulberry32 } from '../../data/random';
import { centredDeltaKernel, setBatchNormIdentity } from '../methods/inserted';
import { Site } from './site';

/** How the new block(s) f start before the eq. 19-20 fit. */
export type FInit = 'identity' | 'he';

/**
 * The local sub-network of one site (eq. 17): z -> g -> f_1 -> ... with the
 * same block definitions and layer names as the grown model, but no pooling,
 * since h_m is taken before block m's pool. Weights move to and from the
 * grown model with copyWeightsByName.
 */
export function buildLocalModel(site: Site, inputShape: number[]): tfl.LayersModel {
  const unpooled = (b: Block): Block => (b.kind === 'conv' ? { ...b, poolAfter: false } : b);
  const input = tfl.input({ shape: inputShape, name: `${site.g.name}_local_input` });
  let x = applyBlock(input, unpooled(site.g), site.inChannels);
  let channels = blockWidth(site.g);
  for (const f of site.fs) {
    x = applyBlock(x, unpooled(f), channels);
    channels = blockWidth(f);
  }
  return tfl.model({ inputs: input, outputs: x, name: `dils_local_${site.g.name}` });
}

/** g starts as the parent's block m: copies every layer of the parent with the same name (only g's layers match). */
export function initialiseGFromParent(local: tfl.LayersModel, parent: tfl.LayersModel): string[] {
  return copyWeightsByName(parent, local);
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

/** He-normal standard deviation for a layer with this fan-in: the noise is a fraction of it. */
function heStd(fanIn: number): number {
  return Math.sqrt(2 / fanIn);
}

/**
 * A new block f started as the identity on its (non-negative) input, plus
 * symmetry-breaking noise of `noise` times the He standard deviation: dense
 * W = I, b = 0; conv a centred delta; BatchNorm the identity in inference
 * mode; residual conv1 = delta, conv2 = (1 - r) delta so r x + (1 - r) x = x.
 */
export function initialiseFIdentity(local: tfl.LayersModel, f: Block, noise: number, seed: number): void {
  // In a tidy scope: setWeights assigns the values to the layer's variables and
  // the tensors made here are released afterwards.
  tf.tidy(() => setIdentity(local, f, noise, seed));
}

function setIdentity(local: tfl.LayersModel, f: Block, noise: number, seed: number): void {
  switch (f.kind) {
    case 'dense': {
      const n = layerNames.dense(f.name);
      local.getLayer(n.dense).setWeights([withNoise(tf.eye(f.units), noise * heStd(f.units), seed), tf.zeros([f.units])]);
      return;
    }
    case 'conv': {
      const n = layerNames.conv(f.name);
      const kernel = withNoise(centredDeltaKernel(f.kernel, f.filters), noise * heStd(f.kernel * f.kernel * f.filters), seed);
      local.getLayer(n.conv).setWeights(f.batchNorm ? [kernel] : [kernel, tf.zeros([f.filters])]);
      if (f.batchNorm) setBatchNormIdentity(local.getLayer(n.bn));
      return;
    }
    case 'res': {
      const n = layerNames.res(f.name);
      const std = noise * heStd(9 * f.filters);
      local.getLayer(n.conv1).setWeights([withNoise(centredDeltaKernel(3, f.filters), std, seed)]);
      local.getLayer(n.conv2).setWeights([withNoise(centredDeltaKernel(3, f.filters, 1 - f.residualRatio), std, seed + 1)]);
      setBatchNormIdentity(local.getLayer(n.bn1));
      setBatchNormIdentity(local.getLayer(n.bn2));
      return;
    }
  }
}

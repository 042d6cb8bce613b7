import { tf, tfl } from '../../tf';
import { ArchSpec } from '../../model/arch';
import { blockInputLayer, blockOutputLayer, computeFeatures, inputLayerName } from '../../model/features';
import { mulberry32, shuffleInPlace } from '../../data/random';
import { TensorSet } from '../../train/tensors';

/** The local training data of one site: z = h_{m-1}(x) and h_m(x) of the parent (eq. 7, 18). */
export interface SiteFeatures {
  z: tf.Tensor;
  target: tf.Tensor;
  count: number;
}

export interface SiteDataLimits {
  /** Most samples to take. */
  maxSamples: number;
  /** Most float32 values (z plus h_m) to hold: bounds memory for wide conv feature maps. */
  maxFloats: number;
}

const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Shape (per sample) of a layer's output in the parent. */
function perSampleShape(model: tfl.LayersModel, layer: string): number[] {
  const shape = (model.getLayer(layer).output as tfl.SymbolicTensor).shape;
  return shape.slice(1) as number[];
}

/** How many samples of `set` a site uses: at most maxSamples, and at most maxFloats / (|z| + |h_m|). */
export function siteSampleCount(
  parent: tfl.LayersModel,
  spec: ArchSpec,
  index: number,
  available: number,
  limits: SiteDataLimits,
): number {
  const floats =
    product(perSampleShape(parent, blockInputLayer(spec, index))) +
    product(perSampleShape(parent, blockOutputLayer(spec.blocks[index])));
  return Math.max(0, Math.min(available, limits.maxSamples, Math.floor(limits.maxFloats / floats)));
}

/**
 * Computes (z, h_m) of the parent, in inference mode, for a seeded random
 * subset of `set` (datasets are stored class by class, so never the first n).
 */
export function siteFeatures(
  parent: tfl.LayersModel,
  spec: ArchSpec,
  index: number,
  set: TensorSet,
  limits: SiteDataLimits,
  seed: number,
): SiteFeatures {
  const count = siteSampleCount(parent, spec, index, set.count, limits);
  if (count === 0) throw new Error(`DILS Stage I: no local samples for block ${spec.blocks[index].name}`);
  const order = shuffleInPlace(
    Int32Array.from({ length: set.count }, (_, i) => i),
    mulberry32(seed),
  );
  const chosen = tf.tensor1d(order.subarray(0, count).slice().sort(), 'int32');
  const x = tf.gather(set.x, chosen);
  chosen.dispose();
  const inputLayer = blockInputLayer(spec, index);
  const outputLayer = blockOutputLayer(spec.blocks[index]);
  try {
    if (inputLayer === inputLayerName(spec)) {
      const [target] = computeFeatures(parent, [outputLayer], x);
      return { z: x.clone(), target, count };
    }
    const [z, target] = computeFeatures(parent, [inputLayer, outputLayer], x);
    return { z, target, count };
  } finally {
    x.dispose();
  }
}

export function disposeSiteFeatures(f: SiteFeatures | undefined): void {
  if (!f) return;
  f.z.dispose();
  f.target.dispose();
}

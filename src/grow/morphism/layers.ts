import { tf, tfl } from '../../tf';
import { computeFeatures } from '../../model/features';

/** eq. 8 with a = 1: a PReLU layer that is the identity. */
export function setPreluIdentity(layer: tfl.layers.Layer): void {
  // Variables keep their own reference to assigned data, so tidy may free the inputs.
  tf.tidy(() => layer.setWeights(layer.getWeights().map((w) => tf.onesLike(w))));
}

export function batchNormEpsilon(layer: tfl.layers.Layer): number {
  return (layer.getConfig().epsilon as number | undefined) ?? 1e-3;
}

/**
 * eq. 9's inserted BatchNorm: gamma 1, beta 0, moving mean 0 and the given
 * moving variance per channel. In inference mode it divides channel c by
 * sqrt(variance[c] + epsilon); with variance 1 - epsilon it is the identity.
 */
export function setBatchNormUnitAffine(layer: tfl.layers.Layer, variance: tf.Tensor1D): void {
  const channels = variance.shape[0];
  tf.tidy(() => layer.setWeights([tf.ones([channels]), tf.zeros([channels]), tf.zeros([channels]), variance]));
}

/**
 * Per-channel variance (over samples and positions) of a layer's output in
 * inference mode, on the first `limit` samples of x.
 */
export function channelVariance(model: tfl.LayersModel, layerName: string, x: tf.Tensor, limit: number): tf.Tensor1D {
  const count = Math.min(limit, x.shape[0]);
  const sample = tf.slice(x, 0, count);
  const [features] = computeFeatures(model, [layerName], sample);
  sample.dispose();
  const variance = tf.tidy(() => {
    const axes = features.shape.slice(0, -1).map((_, i) => i);
    return tf.moments(features, axes).variance as tf.Tensor1D;
  });
  features.dispose();
  return variance;
}

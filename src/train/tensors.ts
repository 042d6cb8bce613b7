import { tf } from '../tf';
import type { Dataset, Normalisation } from '../data/types';

/** A dataset as tensors: normalised inputs and int32 class ids. Dispose when done. */
export interface TensorSet {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  count: number;
  classes: number;
}

/** (x - mean) / std per channel (last axis), as stored in meta.json and used at inference. */
export function normaliseInto(x: Float32Array, norm: Normalisation): Float32Array {
  const channels = norm.mean.length;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    out[i] = (x[i] - norm.mean[c]) / norm.std[c];
  }
  return out;
}

export function toTensorSet(data: Dataset, norm: Normalisation, classes: number): TensorSet {
  const x = tf.tensor(normaliseInto(data.x, norm), [data.count, ...data.inputShape], 'float32');
  const labels = tf.tensor1d(data.y, 'int32');
  return { x, labels, count: data.count, classes };
}

export function disposeTensorSet(set: TensorSet): void {
  set.x.dispose();
  set.labels.dispose();
}

import { tf } from '../tf';
import type { Dataset, Normalisation } from '../data/types';
import { applyNormalisation } from '../data/normalise';

/** A dataset as tensors: normalised inputs and int32 class ids. Dispose when done. */
export interface TensorSet {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  count: number;
  classes: number;
}

export function toTensorSet(data: Dataset, norm: Normalisation, classes: number): TensorSet {
  const x = tf.tensor(applyNormalisation(data.x, norm), [data.count, ...data.inputShape], 'float32');
  const labels = tf.tensor1d(data.y, 'int32');
  return { x, labels, count: data.count, classes };
}

export function disposeTensorSet(set: TensorSet): void {
  set.x.dispose();
  set.labels.dispose();
}

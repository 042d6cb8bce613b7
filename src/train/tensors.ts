import { tf } from '../tf';
import type { Dataset, Normalisation } from '../data/types';
import { applyNormalisation } from '../data/normalise';
import type { OutputKind } from '../model/arch';

/** A dataset as tensors: normalised inputs and int32 class ids. Dispose when done. */
export interface TensorSet {
  x: tf.Tensor;
  labels: tf.Tensor1D;
  count: number;
  classes: number;
  /** What the model outputs for these samples: decides the loss and how a class is read off (default softmax). */
  output?: OutputKind;
}

/** The data as the model takes it: normalised and in the model's per-sample shape (e.g. [28, 28] for a [28, 28, 1] image). */
export function toTensorSet(
  data: Dataset,
  norm: Normalisation,
  classes: number,
  output?: OutputKind,
  shape: number[] = data.inputShape,
): TensorSet {
  const x = tf.tensor(applyNormalisation(data.x, norm), [data.count, ...shape], 'float32');
  const labels = tf.tensor1d(data.y, 'int32');
  return { x, labels, count: data.count, classes, output };
}

export function disposeTensorSet(set: TensorSet): void {
  set.x.dispose();
  set.labels.dispose();
}

import { tf } from '../../tf';

/** A loss over one (sub-)batch: a mean, so halves combine by their row counts. */
export type LossFn = (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;

/**
 * How a worker finds the loss: a built-in name, or a module it can require and
 * the name of a LossFn it exports (functions cannot cross threads).
 */
export type LossSpec = 'sparseCategoricalCrossEntropy' | 'meanSquaredError' | { module: string; export: string };

/** Mean -log(p[label] + 1e-7) of softmax probabilities against int32 class ids. */
export function sparseCategoricalCrossEntropy(probabilities: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const classes = probabilities.shape[probabilities.shape.length - 1];
    const oneHot = tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.add(probabilities, 1e-7))), -1))) as tf.Scalar;
  });
}

export function meanSquaredError(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(prediction, target)) as tf.Scalar);
}

export function resolveLoss(spec: LossSpec): LossFn {
  if (spec === 'sparseCategoricalCrossEntropy') return sparseCategoricalCrossEntropy;
  if (spec === 'meanSquaredError') return meanSquaredError;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fn = (require(spec.module) as Record<string, unknown>)[spec.export];
  if (typeof fn !== 'function') throw new Error(`loss '${spec.export}' is not a function exported by ${spec.module}`);
  return fn as LossFn;
}

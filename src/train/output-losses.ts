import { tf } from '../tf';
import { classifierLoss } from './classifier';

/*
 * classifierLoss for each output kind as a (prediction, class ids) function,
 * the form a data-parallel worker thread requires by module and export name:
 * functions cannot cross threads. The class count is the output's width (two
 * for a single sigmoid unit).
 */

const width = (p: tf.Tensor) => p.shape[p.shape.length - 1] ?? 1;
const ids = (y: tf.Tensor) => tf.cast(y, 'int32') as tf.Tensor1D;

export function softmaxLoss(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => classifierLoss(p, ids(y), width(p), 'softmax'));
}

export function logitsLoss(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => classifierLoss(p, ids(y), width(p), 'logits'));
}

export function sigmoidLoss(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const units = width(p);
  return tf.tidy(() => classifierLoss(p, ids(y), units === 1 ? 2 : units, 'sigmoid'));
}

import { tf } from '../../tf';
import { solveRidge } from '../../util/linalg';

/**
 * W [p, d] = argmin ||T - X W||^2 + lambda ||W||^2 with lambda = ridge * mean
 * diagonal of X^T X: the dictionary step of DILS eq. 14 (W^+ given the codes).
 * The Gram matrix and X^T T come from the backend; the p x p solve is float64.
 */
export function ridgeLeastSquares(x: tf.Tensor2D, target: tf.Tensor2D, ridge: number): tf.Tensor2D {
  const p = x.shape[1];
  const d = target.shape[1];
  const [gram, rhs] = tf.tidy(() => [tf.matMul(x, x, true, false), tf.matMul(x, target, true, false)]);
  const w = solveRidge(gram.dataSync(), p, rhs.dataSync(), d, ridge);
  tf.dispose([gram, rhs]);
  return tf.tensor2d(Float32Array.from(w), [p, d]);
}

/** [X, 1]: a design matrix with a column of ones appended, so a bias is fitted with the weights. */
export function withOnes(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([x, tf.ones([x.shape[0], 1])], 1) as tf.Tensor2D);
}

/**
 * Splits [p + 1, d] weights fitted on withOnes(X) into a kernel [p, d] and a
 * bias [d]. Both are fresh tensors: the wasm backend's fused matmul checks the
 * shape stored with a tensor's data, and a reshaped slice would keep [1, d].
 */
export function splitBias(w: tf.Tensor2D): { kernel: tf.Tensor2D; bias: tf.Tensor1D } {
  const p = w.shape[0] - 1;
  const d = w.shape[1];
  const values = w.dataSync();
  return {
    kernel: tf.tensor2d(values.slice(0, p * d), [p, d]),
    bias: tf.tensor1d(values.slice(p * d, (p + 1) * d)),
  };
}

import { tf } from '../../tf';
import { BilinearMap } from './bilinear';

/**
 * eq. 5 for dense layers, a 1 x 1 "kernel": W (Ci x Cj) = W_l (Ci x Cl) W_{l+1} (Cl x Cj)
 * (TF.js dense kernels are [in, out], y = x W + b). Gradients of ||W_l W_{l+1} - W||^2:
 * dl/dW_l = 2 R W_{l+1}^T, dl/dW_{l+1} = 2 W_l^T R.
 */
export function matrixComposition(ci: number, cl: number, cj: number): BilinearMap {
  return {
    firstShape: [ci, cl],
    secondShape: [cl, cj],
    secondFanIn: cl,
    compose: (first, second) => tf.matMul(first as tf.Tensor2D, second as tf.Tensor2D),
    gradFirst: (residual, second) =>
      tf.tidy(() => tf.mul(tf.matMul(residual as tf.Tensor2D, second as tf.Tensor2D, false, true), 2)),
    gradSecond: (residual, first) =>
      tf.tidy(() => tf.mul(tf.matMul(first as tf.Tensor2D, residual as tf.Tensor2D, true, false), 2)),
  };
}

import { tf } from '../../tf';

/**
 * The bilinear map of the network morphism equation (eq. 5), G = F_l (*) F_{l+1},
 * with the gradients of l = ||F_l (*) F_{l+1} - G||^2 (Algorithm 1) written out
 * by hand, so optGD needs only forward ops (no gradient kernels, any backend).
 * All tensors are created outside any tidy; callers own (and dispose) results.
 */
export interface BilinearMap {
  /** F_l (*) F_{l+1}, in the target's shape. */
  compose(first: tf.Tensor, second: tf.Tensor): tf.Tensor;
  /** dl/dF_l = 2 * (residual contracted with F_{l+1}), residual = compose - target. */
  gradFirst(residual: tf.Tensor, second: tf.Tensor): tf.Tensor;
  /** dl/dF_{l+1} = 2 * (residual contracted with F_l). */
  gradSecond(residual: tf.Tensor, first: tf.Tensor): tf.Tensor;
  /** Shapes of F_l and F_{l+1}. */
  firstShape: number[];
  secondShape: number[];
  /** Fan-in of F_{l+1}, for its He initialisation. */
  secondFanIn: number;
}

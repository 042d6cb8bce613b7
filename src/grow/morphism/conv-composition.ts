import { tf } from '../../tf';
import { BilinearMap } from './bilinear';

/**
 * eq. 5 for convolutions. Filters use the TF.js layout [k, k, in, out]. A
 * 'same' conv with F_l (k1 x k1, Ci -> Cl) followed by one with F_{l+1}
 * (k2 x k2, Cl -> Cj) equals, away from the image border, one 'same' conv with
 *   G~[s] = sum_{d + e = s} sum_cl F_l[d, ci, cl] F_{l+1}[e, cl, cj],
 * a K x K kernel, K = k1 + k2 - 1: a full 2-D convolution of the two filters
 * over their spatial dims with a contraction over the middle channels. We run
 * it as a TF.js conv2d: F_l laid out as a batch of Ci images of k1 x k1 with Cl
 * channels, zero-padded by k2 - 1, correlated with the spatially flipped F_{l+1}.
 */
export function convComposition(k1: number, k2: number, ci: number, cl: number, cj: number): BilinearMap {
  const pad = k2 - 1;
  return {
    firstShape: [k1, k1, ci, cl],
    secondShape: [k2, k2, cl, cj],
    secondFanIn: k2 * k2 * cl,
    compose: (first, second) =>
      tf.tidy(() => {
        const images = tf.transpose(first, [2, 0, 1, 3]) as tf.Tensor4D; // [Ci, k1, k1, Cl]
        const padded = tf.pad(images, [
          [0, 0],
          [pad, pad],
          [pad, pad],
          [0, 0],
        ]);
        const flipped = tf.reverse(second, [0, 1]) as tf.Tensor4D; // [k2, k2, Cl, Cj]
        const out = tf.conv2d(padded, flipped, 1, 'valid'); // [Ci, K, K, Cj]
        return tf.transpose(out, [1, 2, 0, 3]); // [K, K, Ci, Cj]
      }),
    // dl/dF_l[d, ci, cl] = 2 sum_{e, cj} R[d + e, ci, cj] F_{l+1}[e, cl, cj]: R correlated with F_{l+1}.
    gradFirst: (residual, second) =>
      tf.tidy(() => {
        const images = tf.transpose(residual, [2, 0, 1, 3]) as tf.Tensor4D; // [Ci, K, K, Cj]
        const filter = tf.transpose(second, [0, 1, 3, 2]) as tf.Tensor4D; // [k2, k2, Cj, Cl]
        const out = tf.conv2d(images, filter, 1, 'valid'); // [Ci, k1, k1, Cl]
        return tf.mul(tf.transpose(out, [1, 2, 0, 3]), 2);
      }),
    // dl/dF_{l+1}[e, cl, cj] = 2 sum_{d, ci} R[d + e, ci, cj] F_l[d, ci, cl]: R correlated with F_l.
    gradSecond: (residual, first) =>
      tf.tidy(() => {
        const images = tf.transpose(residual, [3, 0, 1, 2]) as tf.Tensor4D; // [Cj, K, K, Ci]
        const out = tf.conv2d(images, first as tf.Tensor4D, 1, 'valid'); // [Cj, k2, k2, Cl]
        return tf.mul(tf.transpose(out, [1, 2, 3, 0]), 2);
      }),
  };
}

/** Zero-pads a k x k filter to K x K, centred (G to G-bar in eq. 5). */
export function padKernel(kernel: tf.Tensor, size: number): tf.Tensor {
  const k = kernel.shape[0];
  const before = (size - k) / 2;
  if (!Number.isInteger(before) || before < 0) throw new Error(`cannot centre a ${k}x${k} kernel in ${size}x${size}`);
  return tf.pad(kernel, [
    [before, before],
    [before, before],
    [0, 0],
    [0, 0],
  ]);
}

/** A C_in x C_out matrix as the centre tap of a k x k kernel [k, k, C_in, C_out] (a 1 x 1 conv in a k x k window). */
export function centreTap(matrix: tf.Tensor, k: number): tf.Tensor4D {
  const [cin, cout] = matrix.shape;
  const mid = Math.floor(k / 2);
  return tf.tidy(
    () =>
      tf.pad(tf.reshape(matrix, [1, 1, cin, cout]), [
        [mid, k - 1 - mid],
        [mid, k - 1 - mid],
        [0, 0],
        [0, 0],
      ]) as tf.Tensor4D,
  );
}

/** The centre tap of a k x k kernel as a matrix, and whether every other tap is zero. */
export function centreOf(kernel: tf.Tensor4D): { matrix: tf.Tensor2D; centreOnly: boolean } {
  const [k, , cin, cout] = kernel.shape;
  const mid = Math.floor(k / 2);
  return tf.tidy(() => {
    const matrix = tf.reshape(tf.slice(kernel, [mid, mid, 0, 0], [1, 1, cin, cout]), [cin, cout]) as tf.Tensor2D;
    const outside = tf.sub(tf.sum(tf.abs(kernel)), tf.sum(tf.abs(matrix))).dataSync()[0];
    return { matrix, centreOnly: outside === 0 };
  });
}

import { tf } from '../../tf';
import { centreOf, centreTap, convComposition, padKernel } from './conv-composition';
import { decompose, DecomposeOptions, Decomposition } from './decompose';
import { matrixComposition } from './matrix-composition';

/**
 * Where F_{l+1} may be non-zero while optGD solves eq. 5 for a k x k conv G.
 *
 * 'full' is the paper's literal problem: both factors over their whole k x k
 * window, G zero-padded to K = 2k - 1. It has no exact solution with both
 * factors spread: 18 C^2 unknowns against 25 C^2 equations (the padded ring of
 * G must come out zero), and the exact ones, F_l = G M with F_{l+1} = M^-1 on
 * the centre tap (or the mirror), are not what optGD finds from Algorithm 1's
 * random start. Measured: it plateaus at 9-11% relative error after 300-3000
 * iterations for C = 8..64.
 *
 * 'centre' (the default) keeps F_{l+1} on its centre tap: optGD solves
 * G = F_l (*) F_{l+1} with a 1 x 1 F_{l+1} (K = k, no padding), reaching 1e-4
 * in tens of iterations, and F_{l+1} is then placed at the centre of its
 * k2 x k2 kernel (the off-centre taps start at zero and learn in Stage II).
 * A side effect that matters on small feature maps: a 1 x 1 conv commutes with
 * zero padding, so the split is exact at the image border too.
 *
 * A G that is itself centre-only (the F_{l+1} of an earlier split, when a
 * second block goes after the same one) is decomposed on the centre tap for
 * both factors: with an invertible centre F_{l+1}, F_l's off-centre taps must
 * come out zero, and leaving them to optGD costs thousands of iterations
 * (measured: 6e-3 after 5000 on C = 16).
 */
export type SecondSupport = 'full' | 'centre';

export interface ConvDecompositionOptions extends Omit<DecomposeOptions, 'expand'> {
  support?: SecondSupport;
}

/** Decomposes G [k, k, Ci, Cj] into F_l [k, k, Ci, Cj] and F_{l+1} [k2, k2, Cj, Cj] (eq. 5, Algorithm 1; Cl = Cj). */
export function decomposeConv(g: tf.Tensor4D, k2: number, opts: ConvDecompositionOptions): Decomposition {
  const [k, , ci, cj] = g.shape;
  if (opts.support === 'full') {
    const size = k + k2 - 1;
    return decompose(convComposition(k, k2, ci, cj, cj), g, { ...opts, expand: (t) => padKernel(t, size) });
  }
  const { matrix, centreOnly } = centreOf(g);
  let result: Decomposition;
  if (centreOnly) {
    result = decompose(matrixComposition(ci, cj, cj), matrix, opts);
    const first = centreTap(result.first, k);
    result.first.dispose();
    result = { ...result, first, firstStd: stdOf(first) };
  } else {
    result = decompose(convComposition(k, 1, ci, cj, cj), g, opts);
  }
  matrix.dispose();
  const second = tf.tidy(() => centreTap(tf.reshape(result.second, [cj, cj]), k2));
  result.second.dispose();
  // The balanced std was measured on the 1 x 1 factor; report it for the stored k2 x k2 kernel.
  return { ...result, second, secondStd: stdOf(second) };
}

function stdOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
}

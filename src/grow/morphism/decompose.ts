import { tf } from '../../tf';
import { BilinearMap } from './bilinear';
import { optGD, OptGDOptions, OptGDResult } from './optgd';

export interface Decomposition extends OptGDResult {
  /** std of G recorded before normalising it (Algorithm 1). */
  targetStd: number;
  /** std of F_l and F_{l+1} after the final balancing (equal unless the target is zero). */
  firstStd: number;
  secondStd: number;
}

export interface DecomposeOptions extends OptGDOptions {
  seed: number;
  /** Expands the normalised G to the composed shape (conv: zero-pad to K = k1 + k2 - 1). */
  expand?: (g: tf.Tensor) => tf.Tensor;
}

function stdOf(t: tf.Tensor): number {
  return tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
}

/**
 * Algorithm 1 around optGD: initialise F_l with unit random noise (|noise| when
 * F_l must stay non-negative) and F_{l+1} with He's initialiser; normalise G to
 * unit std and record the std; expand G (zero padding); run optGD; multiply F_l
 * by the recorded std; give F_l and F_{l+1} equal std (F_l * c, F_{l+1} / c keeps
 * their composition). A zero G (a ResNet branch with r = 1) needs no search:
 * F_{l+1} = 0 and F_l keeps He-scaled noise so that gradients can reach it later.
 * Returns tensors the caller owns; `target` is not disposed.
 */
export function decompose(map: BilinearMap, target: tf.Tensor, opts: DecomposeOptions): Decomposition {
  const noise = tf.tidy(() => {
    const n = tf.randomNormal(map.firstShape, 0, 1, 'float32', opts.seed);
    return opts.nonNegativeFirst ? tf.abs(n) : n;
  });
  const targetStd = stdOf(target);
  if (targetStd === 0) {
    const first = tf.tidy(() => tf.mul(noise, Math.sqrt(2 / map.firstShape.slice(0, -1).reduce((a, b) => a * b, 1))));
    noise.dispose();
    const second = tf.zeros(map.secondShape);
    return {
      first,
      second,
      iterations: 0,
      relativeLosses: [0],
      targetMeanSquare: 0,
      relativeError: 0,
      steps: [],
      seconds: 0,
      stoppedBy: 'tolerance',
      targetStd,
      firstStd: stdOf(first),
      secondStd: 0,
    };
  }
  const second0 = tf.randomNormal(map.secondShape, 0, Math.sqrt(2 / map.secondFanIn), 'float32', opts.seed + 1);
  const normalised = tf.tidy(() => {
    const g = tf.div(target, targetStd);
    return opts.expand ? opts.expand(g) : g;
  });
  let result: OptGDResult;
  try {
    result = optGD(map, normalised, noise, second0, opts);
  } finally {
    normalised.dispose();
  }
  // Undo the normalisation on F_l, then balance the two factors' std.
  const s1 = stdOf(result.first) * targetStd;
  const s2 = stdOf(result.second);
  const c = s1 > 0 && s2 > 0 ? Math.sqrt(s2 / s1) : 1;
  const [first, second] = tf.tidy(() => [tf.mul(result.first, targetStd * c), tf.div(result.second, c)]);
  tf.dispose([result.first, result.second]);
  return { ...result, first, second, targetStd, firstStd: s1 * c, secondStd: s2 / c };
}

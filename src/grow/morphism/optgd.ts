import { tf } from '../../tf';
import { throwIfAborted } from '../../train/progress';
import { BilinearMap } from './bilinear';
import { optimalStep } from './optimal-step';

export interface OptGDOptions {
  /** Algorithm 1's maxIter (one iteration = one step on F_l and one on F_{l+1}). */
  maxIterations: number;
  /** Algorithm 1's "until l = 0", as ||G - conv(F_l, F_{l+1})|| / ||G|| <= tolerance. */
  tolerance: number;
  /** performance.now() time after which no new iteration starts (the seconds budget). */
  deadline?: number;
  signal?: AbortSignal;
  /**
   * Keep F_l elementwise >= 0 (projected steps). Used for a ResNet branch whose
   * conv1 feeds a ReLU: non-negative inputs times a non-negative filter stay
   * non-negative, so that ReLU passes everything through.
   */
  nonNegativeFirst?: boolean;
  /** Called after every iteration with the relative squared loss l / ||G||^2. */
  onIteration?: (iteration: number, relativeLoss: number) => void;
}

export type OptGDStop = 'tolerance' | 'iterations' | 'seconds';

export interface OptGDResult {
  first: tf.Tensor;
  second: tf.Tensor;
  iterations: number;
  /** l / ||G||^2 before the first iteration and after each one. */
  relativeLosses: number[];
  /** ||G||^2 / (number of entries): relativeLosses times this is the mean squared error. */
  targetMeanSquare: number;
  /** ||G - conv(F_l, F_{l+1})|| / ||G|| at the end. */
  relativeError: number;
  /** The step sizes eta_opt taken, [F_l, F_{l+1}] per iteration. */
  steps: [number, number][];
  seconds: number;
  stoppedBy: OptGDStop;
}

/** A fixed step instead of eq. 7: plain gradient descent, the baseline optGD is compared with. */
export interface FixedStep {
  fixedStep: number;
}

function sumSquares(t: tf.Tensor): number {
  return tf.tidy(() => tf.sum(tf.square(t)).dataSync()[0]);
}

interface HalfStepResult {
  factor: tf.Tensor;
  residual: tf.Tensor;
  eta: number;
  nextAlpha: number;
}

/**
 * Algorithm 1, lines "calculate the optimal learning rate for F as eta_opt; update
 * F <- F - eta_opt dl/dF", with the other factor fixed. CALCOPTIMALLEARNINGRATE
 * samples l at eta = 0, alpha, 2 alpha: since the composition is linear in F,
 * conv(F - eta g, other) - G = R - eta D with D = conv(g, other), so each sample
 * is ||R - eta D||^2, the loss of the stepped filter, without another composition.
 *
 * alpha: the paper sets alpha = 1 because the minimum of the parabola does not
 * depend on it; in float32 it does (with alpha far above eta_opt the samples
 * l1, l2 dwarf l0 and 3 l0 - 4 l1 + l2 cancels), so alpha tracks the last eta_opt.
 */
function halfStep(
  factor: tf.Tensor,
  grad: tf.Tensor,
  direction: tf.Tensor,
  residual: tf.Tensor,
  l0: number,
  alpha: number,
  recompose: ((f: tf.Tensor) => tf.Tensor) | undefined,
  fixedStep: number | undefined,
): HalfStepResult {
  let eta: number;
  let nextAlpha = alpha;
  if (fixedStep !== undefined) {
    eta = fixedStep;
  } else {
    const [l1, l2] = tf.tidy(() => {
      const s1 = tf.sum(tf.square(tf.sub(residual, tf.mul(direction, alpha))));
      const s2 = tf.sum(tf.square(tf.sub(residual, tf.mul(direction, 2 * alpha))));
      return Array.from(tf.stack([s1, s2]).dataSync());
    });
    const best = optimalStep(l0, l1, l2, alpha);
    if (best !== undefined && best > 0) {
      eta = best;
      nextAlpha = best;
    } else if (l2 < l1 && l2 < l0) {
      eta = 2 * alpha;
      nextAlpha = 4 * alpha;
    } else if (l1 < l0) {
      eta = alpha;
    } else {
      eta = 0;
      nextAlpha = alpha / 4;
    }
  }
  if (recompose) {
    // Projected step (non-negative F): the residual is no longer linear in eta, recompute it.
    const stepped = tf.tidy(() => tf.relu(tf.sub(factor, tf.mul(grad, eta))));
    return { factor: stepped, residual: recompose(stepped), eta, nextAlpha };
  }
  const [stepped, moved] = tf.tidy(() => [tf.sub(factor, tf.mul(grad, eta)), tf.sub(residual, tf.mul(direction, eta))]);
  return { factor: stepped, residual: moved, eta, nextAlpha };
}

/**
 * Algorithm 1 (optGD) on an already normalised and padded target G: alternately
 * fix one factor and take an optimal-step gradient step on the other, then
 * compute l = ||G - conv(F_l, F_{l+1})||^2, until l ~ 0 or maxIter. Takes
 * ownership of `first` and `second`; the target stays the caller's.
 * With `fixed` it is plain gradient descent with that step (the baseline).
 */
export function optGD(
  map: BilinearMap,
  target: tf.Tensor,
  first: tf.Tensor,
  second: tf.Tensor,
  opts: OptGDOptions,
  fixed?: FixedStep,
): OptGDResult {
  const started = performance.now();
  const targetNorm2 = sumSquares(target);
  const scale = targetNorm2 > 0 ? targetNorm2 : 1;
  const residualOf = (a: tf.Tensor, b: tf.Tensor) =>
    tf.tidy(() => {
      const composed = map.compose(a, b);
      return tf.sub(composed, target);
    });
  let residual = residualOf(first, second);
  let loss = sumSquares(residual);
  const relativeLosses = [loss / scale];
  const steps: [number, number][] = [];
  let alphaFirst = Number.NaN;
  let alphaSecond = Number.NaN;
  let iterations = 0;
  let stoppedBy: OptGDStop = 'iterations';
  const tolerance2 = opts.tolerance * opts.tolerance;
  try {
    while (true) {
      if (loss / scale <= tolerance2) {
        stoppedBy = 'tolerance';
        break;
      }
      if (iterations >= opts.maxIterations) break;
      if (opts.deadline !== undefined && performance.now() >= opts.deadline) {
        stoppedBy = 'seconds';
        break;
      }
      throwIfAborted(opts.signal, 'morphism');

      // Fix F_{l+1}; step on F_l.
      const g1 = map.gradFirst(residual, second);
      const d1 = map.compose(g1, second);
      if (Number.isNaN(alphaFirst)) alphaFirst = initialAlpha(loss, g1);
      const a = halfStep(
        first,
        g1,
        d1,
        residual,
        loss,
        alphaFirst,
        opts.nonNegativeFirst ? (f) => residualOf(f, second) : undefined,
        fixed?.fixedStep,
      );
      tf.dispose([g1, d1, first, residual]);
      first = a.factor;
      residual = a.residual;
      alphaFirst = a.nextAlpha;
      const lossMid = sumSquares(residual);

      // Fix F_l; step on F_{l+1}.
      const g2 = map.gradSecond(residual, first);
      const d2 = map.compose(first, g2);
      if (Number.isNaN(alphaSecond)) alphaSecond = initialAlpha(lossMid, g2);
      const b = halfStep(second, g2, d2, residual, lossMid, alphaSecond, undefined, fixed?.fixedStep);
      tf.dispose([g2, d2, second, residual, b.residual]);
      second = b.factor;
      alphaSecond = b.nextAlpha;

      // Algorithm 1: l = ||G - conv(F_l, F_{l+1})||^2, from a fresh composition.
      residual = residualOf(first, second);
      loss = sumSquares(residual);
      iterations++;
      steps.push([a.eta, b.eta]);
      relativeLosses.push(loss / scale);
      opts.onIteration?.(iterations, loss / scale);
      if (!Number.isFinite(loss)) break;
    }
  } catch (err) {
    tf.dispose([first, second, residual]);
    throw err;
  }
  residual.dispose();
  return {
    first,
    second,
    iterations,
    relativeLosses,
    targetMeanSquare: targetNorm2 / target.size,
    relativeError: Math.sqrt(loss / scale),
    steps,
    seconds: (performance.now() - started) / 1000,
    stoppedBy,
  };
}

/** First alpha: where the loss's tangent at eta = 0 (slope -||g||^2) reaches zero, l0 / ||g||^2. */
function initialAlpha(l0: number, grad: tf.Tensor): number {
  const g2 = sumSquares(grad);
  return g2 > 0 ? l0 / g2 : 1;
}

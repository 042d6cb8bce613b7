import { tf } from '../../tf';
import { maskedLeastSquares, maskedResidual, MaskedSolver } from './masked-lsq';
import { sparseNonNegativeCoding } from './nmf';
import { splitBias, withOnes } from './ridge';

// DILS section 3.2.1 for one fully connected site: the parent's layer
// h_m = relu(W_m X + b_m) is replaced by f∘g with g = relu(W^- X + b^-) and
// f = relu(W^+ · + b^+), both of width d. Eq. 12 is read as the sparse coding
// eq. 13-14 (S = W_m X + b_m ≈ W^+ Σ + b^+, Σ >= 0 sparse), then eq. 15 finds
// W^- so that g reproduces Σ* where it is active.

export interface DenseSplitOptions {
  /** η of eq. 14 relative to the rms of S (η = etaRelative * rms(S)). */
  etaRelative: number;
  iterations: number;
  codeSteps: number;
  ridge: number;
  solver: MaskedSolver | 'auto';
  deadline?: number;
  onIteration?: (iteration: number, objective: number) => void;
  shouldStop?: () => void;
}

export const DEFAULT_DENSE_SPLIT: DenseSplitOptions = {
  etaRelative: 0.05,
  iterations: 8,
  codeSteps: 10,
  ridge: 1e-4,
  solver: 'auto',
};

export interface DenseSplitWeights {
  gKernel: tf.Tensor2D;
  gBias: tf.Tensor1D;
  fKernel: tf.Tensor2D;
  fBias: tf.Tensor1D;
}

export interface DenseSplitReport {
  samples: number;
  eta: number;
  /** Eq. 14 objective per entry: at the start (Σ = relu(S), W^+ = I, b^+ = 0) and after each alternation. */
  eq14Objectives: number[];
  eq14Iterations: number;
  codeSparsity: number;
  eq15: {
    solver: MaskedSolver;
    iterations: number;
    deadUnits: number;
    residualPerActiveEntry: number;
    offMaskPositiveFraction: number;
  };
  /** Eq. 7 local MSE against relu(S) on the fitting samples: identity start, with Σ* itself as g's output, and with g = relu(W^- X + b^-). */
  localMse: { start: number; withCodes: number; afterEq15: number };
  seconds: number;
}

/** Mean of (relu(a W + b) - target)^2 over all entries. */
function postActivationMse(a: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D, target: tf.Tensor2D): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(tf.relu(tf.add(tf.matMul(a, kernel), bias)), target))).dataSync()[0]);
}

/**
 * Eq. 12-15 for one dense site. `z` [N, d_in] is the parent's h_{m-1} on the
 * local data, `kernel` [d_in, d] and `bias` [d] the parent's block m. Returns
 * g = (W^-, b^-) and f = (W^+, b^+) and the objective values of every step.
 */
export function splitDenseLayer(
  z: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D,
  opts: DenseSplitOptions,
): { weights: DenseSplitWeights; report: DenseSplitReport } {
  const started = performance.now();
  const d = kernel.shape[1];
  const s = tf.tidy(() => tf.add(tf.matMul(z, kernel), bias) as tf.Tensor2D); // S = W_m X + b_m
  const target = tf.relu(s) as tf.Tensor2D; // h_m = relu(S): what eq. 7 asks f∘g to reproduce
  const eta = opts.etaRelative * tf.tidy(() => tf.sqrt(tf.mean(tf.square(s))).dataSync()[0]);

  // Eq. 14 from Σ = relu(S), W^+ = I, b^+ = 0: then f(Σ) = relu(S) exactly, and
  // the eq. 14 objective is ||min(S, 0)||^2 + η ||relu(S)||_1.
  const start = { codes: target.clone(), dictionary: tf.eye(d) as tf.Tensor2D, bias: tf.zeros([d]) as tf.Tensor1D };
  const startMse = postActivationMse(start.codes, start.dictionary, start.bias, target);
  const coding = sparseNonNegativeCoding(s, start, {
    eta,
    iterations: opts.iterations,
    codeSteps: opts.codeSteps,
    ridge: opts.ridge,
    deadline: opts.deadline,
    onIteration: opts.onIteration,
    shouldStop: opts.shouldStop,
  });
  const withCodes = postActivationMse(coding.codes, coding.dictionary, coding.bias, target);

  // Eq. 15: W^- = argmin ||M ⊙ (Σ* - W^- X)||^2, M = [Σ* > 0], with a bias column.
  const design = withOnes(z);
  const mask = tf.tidy(() => tf.cast(tf.greater(coding.codes, 0), 'float32') as tf.Tensor2D);
  const warmStart = tf.tidy(() => tf.concat([kernel, tf.reshape(bias, [1, d])], 0) as tf.Tensor2D);
  const solved = maskedLeastSquares(design, coding.codes, mask, {
    ridge: opts.ridge,
    solver: opts.solver,
    warmStart,
    deadline: opts.deadline,
  });
  const residualPerActiveEntry = maskedResidual(design, solved.weights, coding.codes, mask);
  const { kernel: gKernel, bias: gBias } = splitBias(solved.weights);
  const offMaskPositiveFraction = tf.tidy(() => {
    const positive = tf.cast(tf.greater(tf.add(tf.matMul(z, gKernel), gBias), 0), 'float32');
    const off = tf.sub(1, mask);
    return tf.div(tf.sum(tf.mul(positive, off)), tf.maximum(tf.sum(off), 1)).dataSync()[0];
  });
  const gOut = tf.tidy(() => tf.relu(tf.add(tf.matMul(z, gKernel), gBias)) as tf.Tensor2D);
  const afterEq15 = postActivationMse(gOut, coding.dictionary, coding.bias, target);

  tf.dispose([s, target, design, mask, warmStart, solved.weights, gOut, coding.codes]);
  return {
    weights: { gKernel, gBias, fKernel: coding.dictionary, fBias: coding.bias },
    report: {
      samples: z.shape[0],
      eta,
      eq14Objectives: coding.objectives,
      eq14Iterations: coding.iterations,
      codeSparsity: coding.sparsity,
      eq15: {
        solver: solved.solver,
        iterations: solved.iterations,
        deadUnits: solved.deadUnits,
        residualPerActiveEntry,
        offMaskPositiveFraction,
      },
      localMse: { start: startMse, withCodes, afterEq15 },
      seconds: (performance.now() - started) / 1000,
    },
  };
}

import { tf } from '../../tf';
import { ridgeLeastSquares, splitBias, withOnes } from './ridge';

// DILS eq. 13-14: the parent's pre-activation S = W_m X + b (here [N, d],
// samples as rows) is read as a sparse non-negative coding S ≈ Σ W^+ + b^+:
//   (W^+*, Σ*) = argmin ||S - Σ W^+ - b^+||^2 + η ||Σ||_1   s.t. Σ >= 0.
// Solved by alternating minimisation (the paper cites K-SVD with NMF; the
// dictionary step here is one ridge least squares for all atoms rather than
// K-SVD's atom-by-atom SVD):
//   dictionary step: [W^+; b^+] = ridge LS of S on [Σ, 1]   (codes fixed)
//   coding step:     projected proximal gradient (non-negative ISTA) on Σ,
//                    Σ <- max(0, Σ - t (2 (Σ W^+ + b^+ - S) W^+^T + η)),
//                    t = 1 / (2 λmax(W^+ W^+^T)), with backtracking, so
//                    the objective never increases.

export interface SparseCoding {
  /** Σ [N, k] >= 0. */
  codes: tf.Tensor2D;
  /** W^+ [k, d]. */
  dictionary: tf.Tensor2D;
  /** b^+ [d]. */
  bias: tf.Tensor1D;
}

export interface SparseCodingOptions {
  /** η of eq. 14, in the units of S. */
  eta: number;
  /** Alternations of dictionary step + coding step. */
  iterations: number;
  /** Proximal gradient steps per coding step. */
  codeSteps: number;
  /** Relative ridge of the dictionary step. */
  ridge: number;
  /** performance.now() deadline: alternation stops when passed. */
  deadline?: number;
  onIteration?: (iteration: number, objective: number) => void;
  shouldStop?: () => void;
}

export interface SparseCodingResult extends SparseCoding {
  /** Eq. 14 objective divided by the number of entries of S: at the start, then after each alternation. */
  objectives: number[];
  iterations: number;
  /** Fraction of code entries that are exactly zero at the end. */
  sparsity: number;
}

/** Eq. 14 objective per entry of S: (||S - Σ W^+ - b^+||^2 + η ||Σ||_1) / (N d). */
export function sparseCodingObjective(s: tf.Tensor2D, c: SparseCoding, eta: number): number {
  return tf.tidy(() => {
    const residual = tf.sub(s, tf.add(tf.matMul(c.codes, c.dictionary), c.bias));
    const total = tf.add(tf.sum(tf.square(residual)), tf.mul(eta, tf.sum(c.codes)));
    return tf.div(total, s.size).dataSync()[0];
  });
}

/** λmax(W W^T) by power iteration, with a 10% margin so the gradient step stays a descent step. */
function largestEigenvalue(w: tf.Tensor2D): number {
  return tf.tidy(() => {
    const gram = tf.matMul(w, w, false, true);
    let v: tf.Tensor = tf.div(tf.ones([gram.shape[0], 1]), Math.sqrt(gram.shape[0]));
    let lambda = 0;
    for (let i = 0; i < 30; i++) {
      const next = tf.matMul(gram, v);
      lambda = tf.norm(next).dataSync()[0];
      if (!(lambda > 0)) return 1;
      v = tf.div(next, lambda);
    }
    return lambda * 1.1;
  });
}

/** Dictionary step of eq. 14: W^+, b^+ given the codes. */
function dictionaryStep(
  s: tf.Tensor2D,
  codes: tf.Tensor2D,
  ridge: number,
): { dictionary: tf.Tensor2D; bias: tf.Tensor1D } {
  const design = withOnes(codes);
  const w = ridgeLeastSquares(design, s, ridge);
  const { kernel, bias } = splitBias(w);
  tf.dispose([design, w]);
  return { dictionary: kernel, bias };
}

/** Coding step of eq. 14: non-negative ISTA on Σ with W^+, b^+ fixed; monotone by backtracking. */
function codingStep(s: tf.Tensor2D, c: SparseCoding, eta: number, steps: number): tf.Tensor2D {
  let step = 1 / (2 * largestEigenvalue(c.dictionary));
  let codes = c.codes.clone();
  let objective = sparseCodingObjective(s, { ...c, codes }, eta);
  for (let i = 0; i < steps; i++) {
    let accepted = false;
    for (let tries = 0; tries < 5 && !accepted; tries++) {
      const candidate = tf.tidy(() => {
        const residual = tf.sub(tf.add(tf.matMul(codes, c.dictionary), c.bias), s);
        const gradient = tf.add(tf.mul(2, tf.matMul(residual, c.dictionary, false, true)), eta);
        return tf.relu(tf.sub(codes, tf.mul(step, gradient))) as tf.Tensor2D;
      });
      const value = sparseCodingObjective(s, { ...c, codes: candidate }, eta);
      if (value <= objective) {
        codes.dispose();
        codes = candidate;
        objective = value;
        accepted = true;
      } else {
        candidate.dispose();
        step /= 2;
      }
    }
    if (!accepted) break;
  }
  return codes;
}

/**
 * Solves eq. 14 from `init` (taken over: its tensors are disposed or returned).
 * Keeps the best iterate, so the returned objective is never above the start.
 */
export function sparseNonNegativeCoding(
  s: tf.Tensor2D,
  init: SparseCoding,
  opts: SparseCodingOptions,
): SparseCodingResult {
  let current: SparseCoding = init;
  const objectives = [sparseCodingObjective(s, current, opts.eta)];
  let iterations = 0;
  for (let i = 0; i < opts.iterations; i++) {
    if (opts.deadline !== undefined && performance.now() > opts.deadline) break;
    opts.shouldStop?.();
    const { dictionary, bias } = dictionaryStep(s, current.codes, opts.ridge);
    const afterDictionary: SparseCoding = { codes: current.codes, dictionary, bias };
    const codes = codingStep(s, afterDictionary, opts.eta, opts.codeSteps);
    const next: SparseCoding = { codes, dictionary, bias };
    const value = sparseCodingObjective(s, next, opts.eta);
    iterations++;
    opts.onIteration?.(iterations, value);
    if (!(value <= objectives[objectives.length - 1])) {
      // The ridge can make a dictionary step a hair worse: stop at the best iterate.
      tf.dispose([codes, dictionary, bias]);
      break;
    }
    tf.dispose([current.codes, current.dictionary, current.bias]);
    current = next;
    objectives.push(value);
  }
  const sparsity = tf.tidy(() => tf.mean(tf.cast(tf.equal(current.codes, 0), 'float32')).dataSync()[0]);
  return { ...current, objectives, iterations, sparsity };
}

import { tf } from '../../tf';
import { solveRidge } from '../../util/linalg';

// DILS eq. 15: W^- = argmin || M ⊙ (Σ* - W^- X) ||^2, M_j = [Σ*_j > 0].
// In TF.js layout (samples are rows) the problem separates by output unit j:
//   w_j = argmin_w  sum_n M_nj (T_nj - x_n · w)^2 + lambda_j ||w||^2,
// a least squares problem restricted to the samples where unit j is active.
// lambda_j = ridge * (mean diagonal of that unit's Gram matrix) keeps it
// solvable for units active on few samples; a unit active on none gets w = 0.

export type MaskedSolver = 'cholesky' | 'cg';

export interface MaskedLsqOptions {
  /** Relative ridge (default 1e-4). */
  ridge?: number;
  /** 'auto' (default): Cholesky while the design has at most CHOLESKY_MAX_COLUMNS columns, else batched CG. */
  solver?: MaskedSolver | 'auto';
  /** CG only: starting weights [p, d] (e.g. the previous fit). */
  warmStart?: tf.Tensor2D;
  /** CG only: iteration cap (default 60), relative residual tolerance (default 1e-4), performance.now() deadline. */
  iterations?: number;
  tolerance?: number;
  deadline?: number;
}

export interface MaskedLsqResult {
  /** [p, d]: column j is unit j's weights over the design's p columns. */
  weights: tf.Tensor2D;
  solver: MaskedSolver;
  /** CG iterations run (0 for Cholesky). */
  iterations: number;
  /** Units that are active on no sample (their weights are 0). */
  deadUnits: number;
}

/** Above this many design columns the per-unit Cholesky (p^3/3 JS flops per unit) loses to CG. */
export const CHOLESKY_MAX_COLUMNS = 320;
const DEFAULT_RIDGE = 1e-4;

/** lambda_j = ridge * mean diagonal of X^T diag(m_j) X = ridge * (sum_n m_nj ||x_n||^2) / p, per unit. */
function ridgePerUnit(x: tf.Tensor2D, mask: tf.Tensor2D, ridge: number): tf.Tensor1D {
  return tf.tidy(() => {
    const rowNorms = tf.sum(tf.square(x), 1, true); // [N, 1]
    const diagMean = tf.div(tf.sum(tf.mul(mask, rowNorms), 0), x.shape[1]); // [d]
    return tf.maximum(tf.mul(diagMean, ridge), 1e-10) as tf.Tensor1D;
  });
}

/** Eq. 15 solved exactly, unit by unit: Cholesky of the Gram matrix of that unit's active samples. */
function solveByCholesky(x: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D, ridge: number): MaskedLsqResult {
  const [, p] = x.shape;
  const d = target.shape[1];
  const rhsAll = tf.tidy(() => tf.matMul(x, tf.mul(mask, target), true, false)); // [p, d]
  const rhs = rhsAll.dataSync();
  rhsAll.dispose();
  const counts = tf.tidy(() => tf.sum(mask, 0).dataSync());
  const out = new Float32Array(p * d);
  let deadUnits = 0;
  for (let j = 0; j < d; j++) {
    if (counts[j] === 0) {
      deadUnits++;
      continue;
    }
    const gram = tf.tidy(() => {
      const m = tf.slice(mask, [0, j], [-1, 1]); // [N, 1]
      return tf.matMul(x, tf.mul(x, m), true, false); // [p, p]
    });
    const g = gram.dataSync();
    gram.dispose();
    const b = new Float64Array(p);
    for (let i = 0; i < p; i++) b[i] = rhs[i * d + j];
    const w = solveRidge(g, p, b, 1, ridge);
    for (let i = 0; i < p; i++) out[i * d + j] = w[i];
  }
  return { weights: tf.tensor2d(out, [p, d]), solver: 'cholesky', iterations: 0, deadUnits };
}

/**
 * Eq. 15 for wide inputs: every unit's normal equations solved at once by
 * Jacobi-preconditioned conjugate gradients, each column with its own step
 * sizes. One iteration is two matrix products with the design, never a p x p
 * Gram matrix per unit.
 */
function solveByCg(
  x: tf.Tensor2D,
  target: tf.Tensor2D,
  mask: tf.Tensor2D,
  ridge: number,
  opts: MaskedLsqOptions,
): MaskedLsqResult {
  const [, p] = x.shape;
  const d = target.shape[1];
  const maxIterations = opts.iterations ?? 60;
  const tolerance = opts.tolerance ?? 1e-4;
  const lambda = ridgePerUnit(x, mask, ridge);
  const alive = tf.tidy(() => tf.cast(tf.greater(tf.sum(mask, 0), 0), 'float32'));
  const deadUnits = d - Math.round(tf.tidy(() => tf.sum(alive).dataSync()[0]));
  // A(V) = X^T (M ⊙ (X V)) + V diag(lambda), column j being unit j's system.
  const apply = (v: tf.Tensor2D): tf.Tensor2D =>
    tf.tidy(() => tf.add(tf.matMul(x, tf.mul(mask, tf.matMul(x, v)), true, false), tf.mul(v, lambda)) as tf.Tensor2D);
  const diagonal = tf.tidy(() => tf.add(tf.matMul(tf.square(x), mask, true, false), lambda) as tf.Tensor2D);
  const b = tf.tidy(() => tf.matMul(x, tf.mul(mask, target), true, false) as tf.Tensor2D);
  const bNorm = tf.tidy(() => tf.add(tf.sqrt(tf.sum(tf.square(b), 0)), 1e-30));
  let w: tf.Tensor2D = opts.warmStart ? (tf.mul(opts.warmStart, alive) as tf.Tensor2D) : tf.zeros([p, d]);
  let r = tf.tidy(() => tf.sub(b, apply(w)) as tf.Tensor2D);
  let z = tf.div(r, diagonal) as tf.Tensor2D;
  let dir = z.clone();
  let rz = tf.tidy(() => tf.sum(tf.mul(r, z), 0));
  let iterations = 0;
  const converged = () =>
    tf.tidy(() => tf.max(tf.div(tf.sqrt(tf.sum(tf.square(r), 0)), bNorm)).dataSync()[0]) <= tolerance;
  const outOfTime = () => opts.deadline !== undefined && performance.now() > opts.deadline;
  while (iterations < maxIterations && !outOfTime() && !converged()) {
    const next = tf.tidy(() => {
      const ad = apply(dir);
      const curvature = tf.sum(tf.mul(dir, ad), 0);
      const safe = tf.greater(curvature, 0);
      const alpha = tf.where(
        safe,
        tf.div(rz, tf.where(safe, curvature, tf.onesLike(curvature))),
        tf.zerosLike(curvature),
      );
      const w2 = tf.add(w, tf.mul(dir, alpha)) as tf.Tensor2D;
      const r2 = tf.sub(r, tf.mul(ad, alpha)) as tf.Tensor2D;
      const z2 = tf.div(r2, diagonal) as tf.Tensor2D;
      const rz2 = tf.sum(tf.mul(r2, z2), 0);
      const beta = tf.where(
        tf.greater(rz, 0),
        tf.div(rz2, tf.where(tf.greater(rz, 0), rz, tf.onesLike(rz))),
        tf.zerosLike(rz),
      );
      const dir2 = tf.add(z2, tf.mul(dir, beta)) as tf.Tensor2D;
      return { w2, r2, z2, rz2, dir2 };
    });
    tf.dispose([w, r, z, rz, dir]);
    w = next.w2;
    r = next.r2;
    z = next.z2;
    rz = next.rz2;
    dir = next.dir2;
    iterations++;
  }
  const weights = tf.mul(w, alive) as tf.Tensor2D;
  tf.dispose([w, r, z, rz, dir, b, bNorm, diagonal, lambda, alive]);
  return { weights, solver: 'cg', iterations, deadUnits };
}

/**
 * DILS eq. 15: weights [p, d] minimising the masked squared error of X W
 * against `target` [N, d] where `mask` [N, d] is 1 (0/1 floats). X [N, p]
 * should carry a column of ones when a bias is wanted.
 */
export function maskedLeastSquares(
  x: tf.Tensor2D,
  target: tf.Tensor2D,
  mask: tf.Tensor2D,
  opts: MaskedLsqOptions = {},
): MaskedLsqResult {
  if (x.shape[0] !== target.shape[0] || !tf.util.arraysEqual(target.shape, mask.shape)) {
    throw new Error(
      `masked least squares: X [${x.shape}], target [${target.shape}] and mask [${mask.shape}] do not agree`,
    );
  }
  const ridge = opts.ridge ?? DEFAULT_RIDGE;
  let solver = opts.solver ?? 'auto';
  if (solver === 'auto') solver = x.shape[1] <= CHOLESKY_MAX_COLUMNS ? 'cholesky' : 'cg';
  return solver === 'cholesky' ? solveByCholesky(x, target, mask, ridge) : solveByCg(x, target, mask, ridge, opts);
}

/** sum M ⊙ (T - X W)^2 / sum M: the eq. 15 residual per active entry. */
export function maskedResidual(x: tf.Tensor2D, weights: tf.Tensor2D, target: tf.Tensor2D, mask: tf.Tensor2D): number {
  return tf.tidy(() => {
    const err = tf.sum(tf.mul(mask, tf.square(tf.sub(target, tf.matMul(x, weights)))));
    return tf.div(err, tf.maximum(tf.sum(mask), 1)).dataSync()[0];
  });
}

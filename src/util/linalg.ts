// Small dense linear algebra in float64 for the normal equations of DILS
// Stage I (eq. 14's dictionary step, eq. 15's masked rows). Matrices are
// row-major Float64Arrays; n is at most a layer's width plus one, so the
// O(n^3) factorisation runs in plain JS while the O(n^2 N) Gram products stay
// on the TF.js backend.

/** Thrown when a matrix that should be symmetric positive definite is not (numerically). */
export class NotPositiveDefiniteError extends Error {
  constructor(n: number, column: number) {
    super(`${n}x${n} Gram matrix is not positive definite at column ${column}: raise the ridge`);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * Cholesky factorisation A = L L^T of a symmetric positive definite n x n
 * matrix, in place: on return the lower triangle of `a` holds L (the strict
 * upper triangle is left as it was and is never read again).
 */
export function choleskyInPlace(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diagonal = a[rowJ + j];
    for (let k = 0; k < j; k++) diagonal -= a[rowJ + k] * a[rowJ + k];
    if (!(diagonal > 0)) throw new NotPositiveDefiniteError(n, j);
    const pivot = Math.sqrt(diagonal);
    a[rowJ + j] = pivot;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let v = a[rowI + j];
      for (let k = 0; k < j; k++) v -= a[rowI + k] * a[rowJ + k];
      a[rowI + j] = v / pivot;
    }
  }
}

/**
 * Solves L L^T X = B for X given the factor from choleskyInPlace. B is n x m
 * (row-major) and is overwritten with X.
 */
export function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array, m: number): void {
  // Forward substitution: L Y = B.
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const lik = l[rowI + k];
      if (lik === 0) continue;
      for (let c = 0; c < m; c++) b[i * m + c] -= lik * b[k * m + c];
    }
    const inv = 1 / l[rowI + i];
    for (let c = 0; c < m; c++) b[i * m + c] *= inv;
  }
  // Back substitution: L^T X = Y.
  for (let i = n - 1; i >= 0; i--) {
    for (let k = i + 1; k < n; k++) {
      const lki = l[k * n + i];
      if (lki === 0) continue;
      for (let c = 0; c < m; c++) b[i * m + c] -= lki * b[k * m + c];
    }
    const inv = 1 / l[i * n + i];
    for (let c = 0; c < m; c++) b[i * m + c] *= inv;
  }
}

/** Mean of the diagonal of an n x n matrix: the scale a relative ridge is taken against. */
export function meanDiagonal(a: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i * n + i];
  return n > 0 ? sum / n : 0;
}

/**
 * Solves (A + lambda I) X = B for symmetric positive semi-definite A (n x n)
 * and B (n x m), lambda = ridge * mean diagonal of A (at least a tiny
 * absolute floor). A is copied; B is copied; returns X (n x m).
 */
export function solveRidge(
  a: ArrayLike<number>,
  n: number,
  b: ArrayLike<number>,
  m: number,
  ridge: number,
): Float64Array {
  const factor = Float64Array.from(a);
  const lambda = Math.max(ridge * meanDiagonal(factor, n), 1e-10);
  for (let i = 0; i < n; i++) factor[i * n + i] += lambda;
  choleskyInPlace(factor, n);
  const x = Float64Array.from(b);
  choleskySolveInPlace(factor, n, x, m);
  return x;
}

// Exact binomial tails in log space, so that tables of thousands of trials
// neither overflow nor lose the small tail probabilities a 95% bound needs.

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 significant digits). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln P(X = k) for X ~ Binomial(n, p). */
export function logBinomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p);
}

/** P(X <= k) for X ~ Binomial(n, p), summed term by term (exact up to rounding). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(logBinomialPmf(i, n, p));
  return Math.min(1, sum);
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let sum = 0;
  for (let i = k; i <= n; i++) sum += Math.exp(logBinomialPmf(i, n, p));
  return Math.min(1, sum);
}

/**
 * One-sided Clopper-Pearson lower limit for a binomial proportion: the
 * smallest p with P(X >= k | n, p) >= 1 - confidence, i.e. the
 * (1 - confidence) quantile of Beta(k, n - k + 1). Found by bisection, as the
 * tail rises monotonically with p. 0 when k = 0.
 */
export function clopperPearsonLower(k: number, n: number, confidence: number): number {
  if (k <= 0) return 0;
  const alpha = 1 - confidence;
  // closed form when every trial succeeded: p^n = alpha
  if (k === n) return alpha ** (1 / n);
  let lo = 0;
  let hi = k / n;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (binomialUpperTail(k, n, mid) < alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

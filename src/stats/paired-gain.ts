import { binomialCdf, clopperPearsonLower } from './binomial';

/**
 * Two models judged on the same n held-out samples. Only the discordant
 * samples tell them apart: n01 the parent got right and the candidate wrong,
 * n10 the candidate got right and the parent wrong.
 */
export interface PairedCounts {
  n: number;
  n01: number;
  n10: number;
}

export interface PairedGain extends PairedCounts {
  /** Candidate accuracy minus parent accuracy: (n10 - n01) / n. */
  gain: number;
  /** One-sided lower confidence bound of the gain at `confidence`. */
  lowerBound: number;
  confidence: number;
  /** Exact two-sided McNemar p-value of "the two models are equally accurate". */
  pValue: number;
}

/**
 * Exact McNemar test: under H0 (equal accuracy) each of the d = n01 + n10
 * discordant samples favours the candidate with probability 1/2, so
 * n10 ~ Binomial(d, 1/2) and p = min(1, 2 P(X <= min(n01, n10))).
 */
export function mcnemarExactP(n01: number, n10: number): number {
  const d = n01 + n10;
  if (d === 0) return 1;
  return Math.min(1, 2 * binomialCdf(Math.min(n01, n10), d, 0.5));
}

/**
 * The gain with a one-sided lower bound from the exact test behind McNemar's.
 * Conditional on the d discordant samples, n10 ~ Binomial(d, π) and the gain is
 * (d / n)(2π - 1); the Clopper-Pearson lower limit π_L of π gives the bound
 * L = (d / n)(2 π_L - 1).
 *
 * Why this and not a paired bootstrap: it needs only the two counts (no
 * resampling, no seed, the same answer everywhere), and it stays exact when
 * there are few discordant samples, where a bootstrap interval of a handful of
 * ±1/n steps is ragged and too narrow. Treating d as fixed gives the gain a
 * variance of (q - gain²/q) / n instead of (q - gain²) / n (q = d / n): near
 * the decision point (gain ≈ -maxLoss, q a few percent) the bound is well
 * under 1% too narrow, which Clopper-Pearson's conservativeness covers.
 */
export function pairedGain(c: PairedCounts, confidence: number): PairedGain {
  const d = c.n01 + c.n10;
  const gain = c.n > 0 ? (c.n10 - c.n01) / c.n : 0;
  const lowerBound = c.n > 0 && d > 0 ? (d / c.n) * (2 * clopperPearsonLower(c.n10, d, confidence) - 1) : 0;
  return { ...c, gain, lowerBound, confidence, pValue: mcnemarExactP(c.n01, c.n10) };
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
    2.506628277459239,
  ];
  const b = [
    -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
  ];
  const c = [
    -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * About how many held-out samples the bound would need to clear -maxLoss if
 * the gain and the disagreement rate stayed what they are (normal
 * approximation: gain - z sqrt(q - gain²) / sqrt(n) > -maxLoss). Infinity when
 * the gain itself is at or below -maxLoss: more samples cannot help.
 */
export function samplesToBound(c: PairedCounts, confidence: number, maxLoss: number): number {
  const gain = (c.n10 - c.n01) / c.n;
  const margin = gain + maxLoss;
  if (!(margin > 0)) return Infinity;
  const q = (c.n01 + c.n10) / c.n;
  const z = normalQuantile(confidence);
  return Math.ceil((z * z * Math.max(0, q - gain * gain)) / (margin * margin));
}

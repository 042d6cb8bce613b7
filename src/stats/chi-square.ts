import { logGamma } from './binomial';

// Pearson's chi-square test of homogeneity, for the watch after a swap: did the
// new version's answered classes come from another distribution than the old
// one's, or is the difference what two samples of one distribution show?

/** Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma: series below a + 1, Lentz's continued fraction above. */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-15; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return Math.max(0, 1 - sum * front);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, front * h);
}

/** P(X >= x) for X ~ chi-square with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return gammaQ(df / 2, x / 2);
}

export interface Homogeneity {
  statistic: number;
  df: number;
  /** The chance of a statistic at least this large when both samples come from one distribution. */
  p: number;
}

/** Pearson's test that two vectors of class counts come from one distribution (classes empty in both left out). */
export function homogeneity(a: readonly number[], b: readonly number[]): Homogeneity {
  const na = a.reduce((s, x) => s + (x ?? 0), 0);
  const nb = b.reduce((s, x) => s + (x ?? 0), 0);
  const n = na + nb;
  let statistic = 0;
  let classes = 0;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const total = (a[i] ?? 0) + (b[i] ?? 0);
    if (total === 0) continue;
    classes++;
    const ea = (total * na) / n;
    const eb = (total * nb) / n;
    statistic += ((a[i] ?? 0) - ea) ** 2 / ea + ((b[i] ?? 0) - eb) ** 2 / eb;
  }
  if (na === 0 || nb === 0 || classes < 2) return { statistic: 0, df: 0, p: 1 };
  const df = classes - 1;
  return { statistic, df, p: chiSquareSurvival(statistic, df) };
}

/**
 * The optimal learning rate of the morphism paper, eq. 7 (procedure
 * CALCOPTIMALLEARNINGRATE of Algorithm 1).
 *
 * With one factor fixed, the loss along the gradient direction is a quadratic in
 * the step, l(eta) = a eta^2 + b eta + c (eq. 6). Three samples at eta = 0,
 * alpha, 2 alpha determine it:
 *   c = l0,  2 a alpha^2 = l0 - 2 l1 + l2,  b alpha = (4 l1 - 3 l0 - l2) / 2,
 * and its minimum eta = -b / (2a) is
 *   eta_opt = (alpha / 2) * (3 l0 - 4 l1 + l2) / (l0 - 2 l1 + l2).
 * (The paper prints this formula garbled; its worked example l0 = 0.17836769,
 * l1 = 0.15257044, l2 = 0.12920338, alpha = 1 gives 11.12 with the form above.)
 *
 * Returns undefined when the three samples do not describe a convex parabola
 * (curvature <= 0, e.g. from rounding), so the caller can fall back.
 */
export function optimalStep(l0: number, l1: number, l2: number, alpha: number): number | undefined {
  const curvature = l0 - 2 * l1 + l2;
  if (!(curvature > 0)) return undefined;
  const eta = (alpha / 2) * ((3 * l0 - 4 * l1 + l2) / curvature);
  return Number.isFinite(eta) ? eta : undefined;
}

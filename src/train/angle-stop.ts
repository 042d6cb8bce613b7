/**
 * The look-ahead paper's stopping rule (incremental-training-lookahead.txt,
 * section 3 and Fig. 2): every `window` epochs, fit a line to the last `window`
 * validation accuracies and take its angle with the epoch axis; stop when
 * alpha_i <= gamma * alpha_{i-1}. Accuracy is in percentage points, so the
 * angle of a 1-point-per-epoch gain is 45 degrees.
 */
export interface AngleStopRule {
  window: number;
  gamma: number;
}

export function windowAngleDegrees(accuracies: number[]): number {
  const n = accuracies.length;
  const meanX = (n - 1) / 2;
  const meanY = accuracies.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (i - meanX) * (accuracies[i] * 100 - meanY * 100);
    sxx += (i - meanX) ** 2;
  }
  return (Math.atan(sxx === 0 ? 0 : sxy / sxx) * 180) / Math.PI;
}

export class AngleStopper {
  private readonly angles: number[] = [];

  constructor(private readonly rule: AngleStopRule) {
    if (!(rule.window >= 2) || !Number.isInteger(rule.window))
      throw new Error(`stopping rule window must be a whole number >= 2, got ${rule.window}`);
    if (!(rule.gamma > 0 && rule.gamma < 1))
      throw new Error(`stopping rule gamma must be between 0 and 1, got ${rule.gamma}`);
  }

  /** Feed the full validation-accuracy history after each epoch; true means stop. */
  shouldStop(history: number[]): boolean {
    if (history.length === 0 || history.length % this.rule.window !== 0) return false;
    const alpha = windowAngleDegrees(history.slice(-this.rule.window));
    const previous = this.angles[this.angles.length - 1];
    this.angles.push(alpha);
    if (previous === undefined) return alpha <= 0;
    return alpha <= this.rule.gamma * previous;
  }

  get windowAngles(): readonly number[] {
    return this.angles;
  }
}

/**
 * Early stopping on the validation part: stop once `patience` validation
 * checkpoints in a row have not beaten the best so far, but never before
 * `minFraction` of the budget is spent (the warm-up and the first noisy
 * checkpoints should not end a stage). "Beaten" is a lower validation loss
 * where checkpoints carry one (as BestCheckpoint keeps the lowest), else an
 * accuracy higher by more than `minDelta`.
 */
export interface EarlyStopRule {
  patience: number;
  minDelta: number;
  minFraction: number;
}

export const DEFAULT_EARLY_STOP: EarlyStopRule = { patience: 8, minDelta: 0, minFraction: 0.3 };

export class EarlyStopper {
  private best = Number.NEGATIVE_INFINITY;
  private bestLoss = Number.POSITIVE_INFINITY;
  private since = 0;

  constructor(private readonly rule: EarlyStopRule) {
    if (!(rule.patience >= 1) || !Number.isInteger(rule.patience))
      throw new Error(`early stopping patience must be a whole number >= 1, got ${rule.patience}`);
  }

  /** Feed each validation checkpoint in order; true means stop. */
  shouldStop(validationAccuracy: number, fraction: number, validationLoss?: number): boolean {
    const improved =
      validationLoss !== undefined
        ? validationLoss < this.bestLoss
        : validationAccuracy > this.best + this.rule.minDelta;
    this.best = Math.max(this.best, validationAccuracy);
    if (validationLoss !== undefined) this.bestLoss = Math.min(this.bestLoss, validationLoss);
    if (improved) {
      this.since = 0;
      return false;
    }
    this.since++;
    return this.since >= this.rule.patience && fraction >= this.rule.minFraction;
  }
}

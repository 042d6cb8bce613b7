/**
 * A learning-rate schedule over a stage's budget: a linear warm-up from
 * `startFactor` x peak to the peak over the first `warmup` of the budget, then
 * a cosine (or step) decay to `endFactor` x peak at its end. "Of the budget" is
 * the fraction budgetFraction() gives: wall time under a seconds budget, steps
 * under an epochs budget, whichever is further along when both are set.
 */
export interface LearningRateSchedule {
  kind: 'cosine' | 'step' | 'constant';
  peak: number;
  /** Share of the budget spent warming up (0..1). */
  warmup: number;
  startFactor: number;
  endFactor: number;
  /** step decay only: the rate is multiplied by `stepFactor` after each of these fractions of the budget. */
  stepsAt?: number[];
  stepFactor?: number;
}

/** Stage II's default: 10% warm-up from 0.1x, cosine to 0.05x. */
export function defaultStage2Schedule(peak: number): LearningRateSchedule {
  return { kind: 'cosine', peak, warmup: 0.1, startFactor: 0.1, endFactor: 0.05 };
}

export function constantSchedule(peak: number): LearningRateSchedule {
  return { kind: 'constant', peak, warmup: 0, startFactor: 1, endFactor: 1 };
}

/** The learning rate at `fraction` (0..1, clamped) of the budget. */
export function learningRateAt(s: LearningRateSchedule, fraction: number): number {
  const f = Math.min(1, Math.max(0, fraction));
  if (s.kind === 'constant') return s.peak;
  if (f < s.warmup) return s.peak * (s.startFactor + (1 - s.startFactor) * (f / s.warmup));
  if (s.kind === 'step') {
    const drops = (s.stepsAt ?? [0.5, 0.75]).filter((at) => f >= at).length;
    return s.peak * Math.max(s.endFactor, (s.stepFactor ?? 0.1) ** drops);
  }
  const progress = s.warmup < 1 ? (f - s.warmup) / (1 - s.warmup) : 1;
  return s.peak * (s.endFactor + (1 - s.endFactor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

import type { ProgressEvent } from '../train/progress';
import type { GrowStep, JobProgress } from './types';

/** grow() gives initialisation a quarter of a seconds budget (initBudgetOf), Stage II the rest. */
const STAGE1_SHARE = 0.25;

export function stepOf(stage: string): GrowStep {
  return stage === 'stage2' ? 'stage2' : 'stage1';
}

/**
 * One growth progress figure for the whole job: percent through both steps,
 * and, with a seconds budget, the time left of it.
 */
export function jobProgress(e: ProgressEvent, elapsedSeconds: number, budgetSeconds: number | undefined): JobProgress {
  const step = stepOf(e.stage);
  const fraction = Math.min(1, Math.max(0, e.fraction));
  const share = step === 'stage1' ? fraction * STAGE1_SHARE : STAGE1_SHARE + fraction * (1 - STAGE1_SHARE);
  const etaSeconds = budgetSeconds !== undefined ? Math.max(0, budgetSeconds - elapsedSeconds) : e.etaSeconds;
  const { step: stageStep, ...rest } = e;
  return { ...rest, step, stageStep, percent: Math.round(share * 1000) / 10, etaSeconds };
}

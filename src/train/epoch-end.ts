import type { AngleStopper } from './angle-stop';
import { Budget, budgetFraction } from './budget';
import type { EpochRecord, StopReason } from './loop';
import type { ProgressCallback } from './progress';

/** What both training loops (this thread's and the WebGPU one) know at the end of an epoch. */
export interface EpochEnd {
  stage: string;
  detail?: string;
  budget: Budget;
  epoch: number;
  stepsPerEpoch: number;
  loss: number;
  validationAccuracy?: number;
  elapsedSeconds: number;
  /** The early-stop rule asked to stop (at a checkpoint), or the seconds budget ran out. */
  stopEarly: boolean;
  outOfTime: boolean;
}

export interface EpochHistory {
  records: EpochRecord[];
  accuracies: number[];
  stopper?: AngleStopper;
  converged?: (records: EpochRecord[]) => boolean;
}

/**
 * Records an epoch, reports it when it was validated, and says why training
 * stops after it (early stop, seconds, the angle rule, convergence), or
 * undefined to go on: the one epoch end of runLoop and runLoopOnWebGpu.
 */
export function endEpoch(end: EpochEnd, history: EpochHistory, onProgress?: ProgressCallback): StopReason | undefined {
  const { records, accuracies, stopper } = history;
  records.push({
    epoch: end.epoch,
    loss: end.loss,
    validationAccuracy: end.validationAccuracy,
    seconds: end.elapsedSeconds,
  });
  if (end.validationAccuracy !== undefined) {
    accuracies.push(end.validationAccuracy);
    onProgress?.({
      stage: end.stage,
      detail: end.detail,
      epoch: end.epoch,
      epochs: end.budget.epochs,
      step: end.stepsPerEpoch - 1,
      stepsPerEpoch: end.stepsPerEpoch,
      loss: end.loss,
      validationAccuracy: end.validationAccuracy,
      fraction: budgetFraction(end.budget, end.epoch + 1, end.elapsedSeconds),
      elapsedSeconds: end.elapsedSeconds,
    });
  }
  if (end.stopEarly) return 'early';
  if (end.outOfTime) return 'seconds';
  if (stopper && end.validationAccuracy !== undefined && stopper.shouldStop(accuracies)) return 'angle';
  if (history.converged?.(records)) return 'converged';
  return undefined;
}

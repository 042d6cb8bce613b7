import type { ProgressEvent } from '../train/progress';

/** What `deepend status` and `deepend deepen --wait` show of a running job. */
export interface JobProgressView {
  percent: number;
  step: string;
  stage: string;
  detail?: string;
  epoch: number;
  epochs?: number;
  loss: number;
  validationAccuracy?: number;
  etaSeconds?: number;
  at: string;
}

/** The latest progress of each job the daemon has run since it started (the runner only reports, it does not keep). */
export class ProgressBoard {
  private readonly latest = new Map<string, JobProgressView>();

  record(
    jobId: string,
    e: Pick<ProgressEvent, 'stage' | 'detail' | 'epoch' | 'epochs' | 'loss' | 'validationAccuracy' | 'etaSeconds'> & {
      percent: number;
      step?: unknown;
    },
  ): void {
    this.latest.set(jobId, {
      percent: e.percent,
      step: typeof e.step === 'string' ? e.step : e.stage,
      stage: e.stage,
      detail: e.detail,
      epoch: e.epoch,
      epochs: e.epochs,
      loss: e.loss,
      validationAccuracy: e.validationAccuracy,
      etaSeconds: e.etaSeconds === undefined || !Number.isFinite(e.etaSeconds) ? undefined : Math.ceil(e.etaSeconds),
      at: new Date().toISOString(),
    });
  }

  of(jobId: string): JobProgressView | undefined {
    return this.latest.get(jobId);
  }

  /** Ended jobs keep their last figure until a few newer ones push it out. */
  forgetOld(keep = 20): void {
    while (this.latest.size > keep) this.latest.delete(this.latest.keys().next().value!);
  }
}

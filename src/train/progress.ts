import { DeependError } from '../util/deepend-error';
/** A progress event from any long-running step; the CLI draws it, the daemon forwards it. */
export interface ProgressEvent {
  /** e.g. 'train', 'stage1', 'stage2', 'lookahead', 'baseline'. */
  stage: string;
  /** Human label for the current piece, e.g. 'b5 after b1'. */
  detail?: string;
  epoch: number;
  epochs?: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy?: number;
  validationAccuracy?: number;
  /** 0..1 through this stage's budget. */
  fraction: number;
  elapsedSeconds: number;
  etaSeconds?: number;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/** Thrown when the abort signal fires; callers delete partial outputs and exit cleanly. */
export class AbortedError extends DeependError {
  constructor(what = 'training') {
    super('aborted', `${what} aborted`);
    this.name = 'AbortedError';
  }
}

/** Thrown on a NaN or infinite loss: the run diverged and nothing of it may be saved. */
export class DivergedError extends DeependError {
  constructor(stage: string, epoch: number, step: number) {
    super(
      'diverged',
      `loss became NaN or infinite in ${stage} at epoch ${epoch + 1}, step ${step + 1}: lower the learning rate`,
    );
    this.name = 'DivergedError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, what?: string): void {
  if (signal?.aborted) throw new AbortedError(what);
}

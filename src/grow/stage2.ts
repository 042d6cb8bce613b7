import { tfl } from '../tf';
import { Budget } from '../train/budget';
import { BestCheckpoint, KeptCheckpoint } from '../train/best-checkpoint';
import { ClassifierTraining, trainClassifier, trainClassifierShared } from '../train/classifier';
import { sharingReport, startSharing } from './stage2-sharing';
import { EarlyStopper, EarlyStopRule } from '../train/early-stop';
import { Checkpoint, LoopResult, StopReason } from '../train/loop';
import { ProgressCallback } from '../train/progress';
import { constantSchedule, defaultStage2Schedule, LearningRateSchedule } from '../train/schedule';
import { TensorSet } from '../train/tensors';
import { AngleStopRule } from '../train/angle-stop';

/** How Stage II trains; each part can be switched off (for before/after measurements). */
export interface Stage2Options {
  /** Default: defaultStage2Schedule(learningRate); 'constant' is the paper's one fixed rate (DILS section 3.1). */
  schedule?: LearningRateSchedule | 'constant';
  /**
   * Off by default: Stage II trains to the end of its budget, and the best checkpoint keeps it from
   * ending worse. Early stopping (DEFAULT_EARLY_STOP, say) ended the default upgrade 10-30 s early on
   * noisy validation losses, before the schedule had decayed, and cost it commits (docs/design/dils.md).
   */
  earlyStop?: EarlyStopRule | false;
  /** Keep the best checkpoint by validation accuracy and restore it at the end (default true). */
  keepBest?: boolean;
  /**
   * Share each step's rows with worker threads on the other cores (default true where there are
   * several and TF.js runs on wasm or cpu, which use one core each). Adaptive: a step runs on this
   * thread alone whenever that measures faster (a busy device, a small model).
   */
  parallel?: boolean;
}

export interface Stage2Run {
  model: tfl.LayersModel;
  train: TensorSet;
  validation: TensorSet;
  budget: Budget;
  batchSize: number;
  learningRate: number;
  seed: number;
  validateEverySamples: number;
  options?: Stage2Options;
  stopRule?: AngleStopRule;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

/** What report.json says about Stage II. */
export interface Stage2Report {
  learningRate: number;
  batchSize: number;
  epochs: number;
  steps: number;
  stoppedBy: StopReason;
  schedule: LearningRateSchedule;
  earlyStop: EarlyStopRule | null;
  /** Validation accuracy of the model as Stage II got it (right after insertion and Stage I). */
  validationAtStart?: number;
  /** The checkpoint whose weights the grown model has; null when the last weights were kept. */
  kept: KeptCheckpoint | null;
  /** Where the steps ran; webgpuRefused says why WebGPU was asked for and not used. */
  trainer?: { name: 'wasm' | 'webgpu'; webgpuRefused?: string };
  /** Data-parallel steps: the threads (this one included) and the mode in use at the end; or why not. */
  parallel?: { threads: number; mode: 'parallel' | 'alone' } | { refused: string } | null;
}

/**
 * Stage II, the global fine-tune (DILS section 3.1), with a learning-rate
 * schedule over its budget, optional early stopping on the validation part
 * and the best validation checkpoint restored at the end. The starting point is offered as
 * the first checkpoint, so when nothing in Stage II beats it on the validation
 * part the model is returned as insertion (and Stage I) left it. The held-out
 * test part is never looked at here.
 */
export async function runStage2(run: Stage2Run): Promise<{ loop: LoopResult; report: Stage2Report }> {
  const options = run.options ?? {};
  const rules = stage2Rules(run);
  const starting = performance.now();
  const sharing = options.parallel === false ? undefined : await startSharing(run.model, run.train.output);
  const shared = sharing && 'trainer' in sharing ? sharing.trainer : undefined;
  // starting the worker threads (each loads TF.js) is paid from the stage's seconds
  const startSeconds = (performance.now() - starting) / 1000;
  const budget =
    run.budget.seconds === undefined
      ? run.budget
      : { ...run.budget, seconds: Math.max(0.001, run.budget.seconds - startSeconds) };
  try {
    const training: ClassifierTraining = {
      stage: 'stage2',
      budget,
      batchSize: run.batchSize,
      schedule: rules.schedule,
      seed: run.seed,
      validation: run.validation,
      validateEverySamples: run.validateEverySamples,
      stopRule: run.stopRule,
      onProgress: run.onProgress,
      signal: run.signal,
      onCheckpoint: rules.onCheckpoint,
    };
    const loop = shared
      ? await trainClassifierShared(run.model, run.train, training, shared)
      : trainClassifier(run.model, run.train, training);
    return { loop, report: { ...rules.report(loop), parallel: sharingReport(sharing) } };
  } finally {
    rules.dispose();
    await shared?.close();
  }
}

/**
 * What Stage II is on either trainer (wasm here, WebGPU in stage2-webgpu.ts), as
 * its options ask: the learning-rate schedule, early stopping and the kept
 * checkpoint (fed by onCheckpoint), and the report, which restores the kept
 * weights into the model. dispose() frees the kept copy.
 */
export function stage2Rules(run: Stage2Run) {
  const options = run.options ?? {};
  const schedule =
    options.schedule === 'constant'
      ? constantSchedule(run.learningRate)
      : (options.schedule ?? defaultStage2Schedule(run.learningRate));
  const earlyStop = options.earlyStop || null;
  const stopper = earlyStop ? new EarlyStopper(earlyStop) : undefined;
  const best = options.keepBest === false ? undefined : new BestCheckpoint(run.model);
  return {
    schedule,
    onCheckpoint: (c: Checkpoint, fraction: number): boolean => {
      best?.offer(c.steps, c.seconds, c.validationAccuracy, c.validationLoss);
      const stop = stopper?.shouldStop(c.validationAccuracy, fraction, c.validationLoss) ?? false;
      return c.steps > 0 && stop;
    },
    report: (loop: LoopResult): Stage2Report => ({
      learningRate: run.learningRate,
      batchSize: run.batchSize,
      epochs: loop.epochs.length,
      steps: loop.steps,
      stoppedBy: loop.stoppedBy,
      schedule,
      earlyStop,
      validationAtStart: loop.checkpoints[0]?.steps === 0 ? loop.checkpoints[0].validationAccuracy : undefined,
      kept: best?.restore() ?? null,
    }),
    dispose: () => best?.dispose(),
  };
}

import { tfl } from '../tf';
import { Budget } from '../train/budget';
import { BestCheckpoint, KeptCheckpoint } from '../train/best-checkpoint';
import { ClassifierTraining, trainClassifier } from '../train/classifier';
import { Interlude } from '../train/interlude';
import { type SharingReport, sharingReport, startSharing } from './stage2-sharing';
import { EarlyStopper, EarlyStopRule } from '../train/early-stop';
import { Checkpoint, LoopResult, StopReason } from '../train/loop';
import { ProgressCallback } from '../train/progress';
import { constantSchedule, defaultStage2Schedule, LearningRateSchedule } from '../train/schedule';
import { TensorSet } from '../train/tensors';
import { AngleStopRule } from '../train/angle-stop';
import { correctFlags } from './held-out-pairs';
import { lastVersusStart, type LastVersusStart } from './stage2-last-weights';

export const STAGE2_KEEPS = ['last-unless-worse', 'best', 'last'] as const;
export type Stage2Keep = (typeof STAGE2_KEEPS)[number];

/** How Stage II trains; each part can be switched off (for before/after measurements). */
export interface Stage2Options {
  /** Default: defaultStage2Schedule(learningRate); 'constant' is the paper's one fixed rate (DILS section 3.1). */
  schedule?: LearningRateSchedule | 'constant';
  /**
   * Off by default: Stage II trains to the end of its budget, and `keep` keeps it from ending worse. Early stopping (DEFAULT_EARLY_STOP, say) ended the default upgrade 10-30 s early on
   * noisy validation losses, before the schedule had decayed, and cost it commits (docs/design/dils.md).
   */
  earlyStop?: EarlyStopRule | false;
  /**
   * Which weights Stage II hands back. 'last-unless-worse' (default): the last ones, unless the
   * validation part shows them worse than the start (stage2-last-weights.ts), then the best
   * checkpoint. 'best': the best validation checkpoint (BestCheckpoint's rule). 'last': the last.
   */
  keep?: Stage2Keep;
  /**
   * Share each step's rows with worker threads on the other cores, where there are several and TF.js runs on wasm
   * or cpu, which use one core each. Default: a thread per core that stood idle lately, none on a busy machine
   * (stage2-sharing.ts); true: a thread on every other core; false: none. Adaptive: a step runs on this thread
   * alone whenever that measures faster (a busy device, a small model).
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
  /** The model's per-sample answers on the validation part at the start, where the caller has them. */
  startCorrect?: Uint8Array;
  /** A pause part-way through (`method: auto` tries another method there, src/grow/auto.ts). */
  interlude?: Interlude;
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
  /** The rule that chose them (absent in reports made before there was a choice: 'best'). */
  keep?: Stage2Keep;
  /** The last weights against the start on the validation part, where the rule compared them. */
  lastVersusStart?: LastVersusStart;
  /** Where the steps ran; webgpuRefused says why WebGPU was asked for and not used. */
  trainer?: { name: 'wasm' | 'webgpu'; webgpuRefused?: string };
  /**
   * Data-parallel steps: the threads (this one included) and the mode in use at the end; or why not: `skipped`
   * (no core stood idle), `refused` (the threads did not start), null (one core, or a backend that spreads its work).
   */
  parallel?: SharingReport;
}

/**
 * Stage II, the global fine-tune (DILS section 3.1), with a learning-rate
 * schedule over its budget and optional early stopping on the validation part.
 * It hands back its last weights unless the validation part shows them worse
 * than its start (paired test, stage2-last-weights.ts); then the best validation
 * checkpoint, the start among them, so a wrecked run returns the model as
 * insertion (and Stage I) left it. The held-out test part is never looked at here.
 */
export async function runStage2(run: Stage2Run): Promise<{ loop: LoopResult; report: Stage2Report }> {
  const options = run.options ?? {};
  const rules = stage2Rules(run, run.validateEverySamples > 0);
  const starting = performance.now();
  const sharing =
    options.parallel === false ? undefined : await startSharing(run.model, run.train.output, options.parallel);
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
      onValidationAnswers: rules.onValidationAnswers,
      interlude: run.interlude,
    };
    const loop = await trainClassifier(run.model, run.train, training, shared);
    return { loop, report: { ...rules.report(loop), parallel: sharingReport(sharing) } };
  } finally {
    rules.dispose();
    await shared?.close();
  }
}

/** The learning-rate schedule Stage II follows under these options (default: defaultStage2Schedule). */
export function stage2Schedule(options: Stage2Options, learningRate: number): LearningRateSchedule {
  return options.schedule === 'constant'
    ? constantSchedule(learningRate)
    : (options.schedule ?? defaultStage2Schedule(learningRate));
}

/**
 * What Stage II is on either trainer (wasm here, WebGPU in stage2-webgpu.ts), as
 * its options ask: the learning-rate schedule, early stopping, the best
 * checkpoint (fed by onCheckpoint) and the start's validation answers, and the
 * report, which chooses the weights (options.keep) and restores a kept
 * checkpoint into the model. dispose() frees the kept copy.
 *
 * The paired comparison takes the validation answers of the start and of the
 * last weights from the trainer's own checkpoints where it hands them over
 * (onValidationAnswers): `validatesStart` says its loop validates at step 0.
 * Else, or where no checkpoint came after the last step, they are measured
 * here, once more over the validation part.
 */
export function stage2Rules(run: Stage2Run, validatesStart = false) {
  const options = run.options ?? {};
  const schedule = stage2Schedule(options, run.learningRate);
  const earlyStop = options.earlyStop || null;
  const stopper = earlyStop ? new EarlyStopper(earlyStop) : undefined;
  const keep = options.keep ?? 'last-unless-worse';
  const best = keep === 'last' ? undefined : new BestCheckpoint(run.model);
  const paired = keep === 'last-unless-worse';
  let startCorrect =
    paired && !validatesStart ? (run.startCorrect ?? correctFlags(run.model, run.validation)) : run.startCorrect;
  let answers: Uint8Array | undefined;
  let lastAnswers: { steps: number; correct: Uint8Array } | undefined;
  /** The checkpoint restored into the model (null: the last weights stay), and the comparison behind it. */
  const choose = (steps: number): { kept: KeptCheckpoint | null; compared?: LastVersusStart } => {
    if (!paired) return { kept: best?.restore() ?? null };
    if (!startCorrect) throw new Error('Stage II: its loop never validated the model it started from');
    const last = lastAnswers?.steps === steps ? lastAnswers.correct : correctFlags(run.model, run.validation);
    const compared = lastVersusStart(startCorrect, last);
    if (compared.worse) return { kept: best?.restore() ?? null, compared };
    best?.dispose();
    return { kept: null, compared };
  };
  return {
    schedule,
    onValidationAnswers: (correct: Uint8Array) => {
      answers = correct;
    },
    onCheckpoint: (c: Checkpoint, fraction: number): boolean => {
      if (answers) {
        if (c.steps === 0) startCorrect ??= answers;
        lastAnswers = { steps: c.steps, correct: answers };
        answers = undefined;
      }
      best?.offer(c.steps, c.seconds, c.validationAccuracy, c.validationLoss);
      const stop = stopper?.shouldStop(c.validationAccuracy, fraction, c.validationLoss) ?? false;
      return c.steps > 0 && stop;
    },
    report: (loop: LoopResult): Stage2Report => {
      const { kept, compared } = choose(loop.steps);
      return {
        learningRate: run.learningRate,
        batchSize: run.batchSize,
        epochs: loop.epochs.length,
        steps: loop.steps,
        stoppedBy: loop.stoppedBy,
        schedule,
        earlyStop,
        validationAtStart: loop.checkpoints[0]?.steps === 0 ? loop.checkpoints[0].validationAccuracy : undefined,
        kept,
        keep,
        ...(compared ? { lastVersusStart: compared } : {}),
      };
    },
    dispose: () => best?.dispose(),
  };
}

import { tf } from '../tf';
import { deriveSeed, mulberry32, shuffleInPlace } from '../data/random';
import { AngleStopRule, AngleStopper } from './angle-stop';
import { Budget, assertBudget, budgetFraction } from './budget';
import { DivergedError, ProgressCallback, throwIfAborted } from './progress';
import { endEpoch } from './epoch-end';
import { Interlude, InterludeGate } from './interlude';

export interface EpochRecord {
  epoch: number;
  loss: number;
  validationAccuracy?: number;
  /** Seconds since the loop started, at the end of this epoch. */
  seconds: number;
}

/** A validation measurement inside or at the end of an epoch, for fine-grained curves. */
export interface Checkpoint {
  steps: number;
  seconds: number;
  /** Mean training loss since the previous checkpoint. */
  loss: number;
  validationAccuracy: number;
  /** Mean cross-entropy on the validation part, when the stage's validation measures it. */
  validationLoss?: number;
  /** The learning rate of the step before it, when the stage follows a schedule. */
  learningRate?: number;
}

/** 'halted': an interlude (interlude.ts) asked the loop to end. */
export type StopReason = 'epochs' | 'seconds' | 'angle' | 'converged' | 'early' | 'halted';

export interface LoopResult {
  epochs: EpochRecord[];
  /** Validation every `validateEverySteps` steps and at each epoch end (only with `validate`). */
  checkpoints: Checkpoint[];
  steps: number;
  seconds: number;
  stoppedBy: StopReason;
}

/** What a stage's validation measured: the accuracy, and the loss where it is known. */
export type Validation = number | { accuracy: number; loss: number };

function validationOf(v: Validation): { accuracy: number; loss?: number } {
  return typeof v === 'number' ? { accuracy: v } : v;
}

/** Everything about the loop but how a step trains (runLoop's batchLoss, runLoopAsync's step). */
export interface LoopSchedule {
  stage: string;
  detail?: string;
  /** Number of samples; batches are drawn from a seeded shuffle of 0..count-1 each epoch. */
  count: number;
  batchSize: number;
  budget: Budget;
  seed: number;
  /** Its learning rate follows `learningRate`; runLoop also steps it. */
  optimizer: tf.Optimizer;
  /** After each epoch: may return a validation accuracy (used by the stop rule and progress). */
  afterEpoch?: (epoch: number) => number | undefined;
  /** Validation accuracy now; called every `validateEverySteps` steps for checkpoints. */
  validate?: () => Validation;
  validateEverySteps?: number;
  stopRule?: AngleStopRule;
  /** Ends training early (reason 'converged') when it returns true after an epoch. */
  converged?: (epochs: readonly EpochRecord[]) => boolean;
  /** The learning rate at a fraction (0..1) of the budget, set on the optimizer before every step. */
  learningRate?: (fraction: number) => number;
  /** Sees every validation checkpoint (the starting one included); true ends training (reason 'early'). */
  onCheckpoint?: (checkpoint: Checkpoint, fraction: number) => boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Milliseconds that a seconds budget is counted in; performance.now by default (a test's own clock otherwise). */
  clock?: () => number;
  /** A pause for other work part-way through (runLoopAsync only: it may take time and end the loop). */
  interlude?: Interlude;
}

export interface LoopConfig extends LoopSchedule {
  /** Variables to train; default: all trainable variables the loss touches. */
  variables?: tf.Variable[];
  /** Scalar loss of the batch whose sample indices are given. Runs inside the gradient tape. */
  batchLoss: (indices: tf.Tensor1D) => tf.Scalar;
}

/** What the loop asks of a step: train on these sample indices, return the batch's loss. */
type StepOf<R> = (batch: Int32Array) => R;

/**
 * The one training loop: mini-batch steps under a budget of epochs and/or
 * seconds, optional angle stopping rule, progress events, abort and NaN checks.
 * A seconds budget can end an epoch early; the partial epoch is still recorded.
 * Written once as a generator that yields each batch (the learning rate for it
 * already set) and takes its loss back, so that runLoop (steps on this thread)
 * and runLoopAsync (steps shared with worker threads) are the same loop.
 */
function* loopSteps(cfg: LoopSchedule, halted: () => boolean = () => false): Generator<Int32Array, LoopResult, number> {
  assertBudget(cfg.budget, cfg.stage);
  const stepsPerEpoch = Math.max(1, Math.ceil(cfg.count / cfg.batchSize));
  const stopper = cfg.stopRule ? new AngleStopper(cfg.stopRule) : undefined;
  const clock = cfg.clock ?? (() => performance.now());
  const started = clock();
  const elapsed = () => (clock() - started) / 1000;
  const order = new Int32Array(cfg.count);
  const records: EpochRecord[] = [];
  const accuracies: number[] = [];
  let steps = 0;
  let stoppedBy: StopReason = 'epochs';
  const checkpoints: Checkpoint[] = [];
  let sinceCheckpoint = { loss: 0, count: 0 };
  let rate: number | undefined;
  let stopEarly = false;
  let halt = false;
  const checkpoint = (measured: Validation, fraction: number) => {
    const { accuracy, loss } = validationOf(measured);
    const c: Checkpoint = {
      steps,
      seconds: elapsed(),
      loss: sinceCheckpoint.loss / Math.max(1, sinceCheckpoint.count),
      validationAccuracy: accuracy,
    };
    if (loss !== undefined) c.validationLoss = loss;
    if (rate !== undefined) c.learningRate = rate;
    checkpoints.push(c);
    sinceCheckpoint = { loss: 0, count: 0 };
    if (cfg.onCheckpoint?.(c, fraction)) stopEarly = true;
  };
  const maxEpochs = cfg.budget.epochs ?? Number.POSITIVE_INFINITY;
  // Where the stage starts from (e.g. right after insertion); its loss is not yet known.
  if (cfg.validate && cfg.validateEverySteps) {
    const { accuracy, loss } = validationOf(cfg.validate());
    checkpoints.push({
      steps: 0,
      seconds: 0,
      loss: Number.NaN,
      validationAccuracy: accuracy,
      ...(loss !== undefined ? { validationLoss: loss } : {}),
    });
    cfg.onCheckpoint?.(checkpoints[0], 0);
  }

  for (let epoch = 0; epoch < maxEpochs; epoch++) {
    for (let i = 0; i < cfg.count; i++) order[i] = i;
    shuffleInPlace(order, mulberry32(deriveSeed(cfg.seed, epoch)));
    let lossSum = 0;
    let lossCount = 0;
    let outOfTime = false;
    for (let step = 0; step < stepsPerEpoch; step++) {
      throwIfAborted(cfg.signal, cfg.stage);
      const batch = order.subarray(step * cfg.batchSize, Math.min(cfg.count, (step + 1) * cfg.batchSize));
      if (cfg.learningRate) {
        rate = cfg.learningRate(budgetFraction(cfg.budget, epoch + step / stepsPerEpoch, elapsed()));
        // Adam and SGD read this field at every step (tfjs-core 4.22).
        (cfg.optimizer as unknown as { learningRate: number }).learningRate = rate;
      }
      const loss = yield batch;
      if (!Number.isFinite(loss)) throw new DivergedError(cfg.stage, epoch, step);
      lossSum += loss * batch.length;
      lossCount += batch.length;
      sinceCheckpoint.loss += loss * batch.length;
      sinceCheckpoint.count += batch.length;
      steps++;
      const lastOfEpoch = step === stepsPerEpoch - 1;
      const t = elapsed();
      const fraction = budgetFraction(cfg.budget, epoch + (step + 1) / stepsPerEpoch, t);
      if (cfg.validate && cfg.validateEverySteps && steps % cfg.validateEverySteps === 0 && !lastOfEpoch)
        checkpoint(cfg.validate(), fraction);
      cfg.onProgress?.({
        stage: cfg.stage,
        detail: cfg.detail,
        epoch,
        epochs: cfg.budget.epochs,
        step,
        stepsPerEpoch,
        loss,
        fraction,
        elapsedSeconds: t,
        etaSeconds: fraction > 0 ? (t / fraction) * (1 - fraction) : undefined,
      });
      if (cfg.budget.seconds !== undefined && t >= cfg.budget.seconds) {
        outOfTime = true;
        break;
      }
      if (stopEarly) break;
      if (halted()) {
        halt = true;
        break;
      }
    }
    const measured =
      stopEarly || halt
        ? checkpoints.at(-1)?.validationAccuracy
        : (cfg.afterEpoch?.(epoch) ?? (cfg.validate ? cfg.validate() : undefined));
    const validationAccuracy = measured === undefined ? undefined : validationOf(measured).accuracy;
    if (cfg.validate && measured !== undefined && !stopEarly && !halt)
      checkpoint(measured, budgetFraction(cfg.budget, epoch + 1, elapsed()));
    const stop = endEpoch(
      {
        stage: cfg.stage,
        detail: cfg.detail,
        budget: cfg.budget,
        epoch,
        stepsPerEpoch,
        loss: lossSum / Math.max(1, lossCount),
        validationAccuracy,
        elapsedSeconds: elapsed(),
        stopEarly: stopEarly || halt,
        outOfTime,
      },
      { records, accuracies, stopper, converged: cfg.converged },
      cfg.onProgress,
    );
    if (stop) {
      stoppedBy = halt ? 'halted' : stop;
      break;
    }
  }
  return { epochs: records, checkpoints, steps, seconds: elapsed(), stoppedBy };
}

/** A step on this thread: the optimizer minimises batchLoss over the batch; its loss. */
export function localStep(cfg: Pick<LoopConfig, 'optimizer' | 'batchLoss' | 'variables'>): StepOf<number> {
  return (batch) =>
    tf.tidy(() => {
      const indices = tf.tensor1d(batch, 'int32');
      const cost = cfg.optimizer.minimize(() => cfg.batchLoss(indices), true, cfg.variables);
      return cost!.dataSync()[0];
    });
}

/** The loop with each step on this thread: the optimizer minimises batchLoss. */
export function runLoop(cfg: LoopConfig): Promise<LoopResult> {
  return runLoopAsync({ ...cfg, step: localStep(cfg) });
}

/**
 * How long the loop may hold the thread between two turns of the event loop. Its steps are synchronous
 * TF.js work unless shared with worker threads; without a turn now and then, a signal handler (Ctrl-C on
 * `deepend grow`) or a timer would wait until training ended. A turn costs microseconds.
 */
export const EVENT_TURN_MS = 50;

/**
 * The same loop with steps that may finish later (shared with worker threads; `step` applies its own
 * update), and the schedule's interlude, if any, between two steps. It lets the event loop run at least
 * every EVENT_TURN_MS, so that an abort from a signal handler is seen at the next step.
 */
export async function runLoopAsync(
  cfg: LoopSchedule & { step: StepOf<number | Promise<number>> },
): Promise<LoopResult> {
  const gate = new InterludeGate(cfg.interlude);
  const clock = cfg.clock ?? (() => performance.now());
  const started = clock();
  let halt = false;
  let count = 0;
  const steps = loopSteps(cfg, () => halt);
  let next = steps.next();
  let lastTurn = performance.now();
  while (!next.done) {
    const loss = await cfg.step(next.value);
    count++;
    if (performance.now() - lastTurn >= EVENT_TURN_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastTurn = performance.now();
    }
    if (gate.due(count, (clock() - started) / 1000)) halt = await gate.run(count);
    next = steps.next(loss);
  }
  await gate.atEnd(count);
  return next.value;
}

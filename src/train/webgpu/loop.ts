import { tf, tfl } from '../../tf';
import { requestDevice } from '../../compute/webgpu/dawn';
import { deriveSeed, mulberry32, shuffleInPlace } from '../../data/random';
import { AngleStopRule, AngleStopper } from '../angle-stop';
import { assertBudget, Budget, budgetFraction } from '../budget';
import { evaluate } from '../classifier';
import { endEpoch } from '../epoch-end';
import type { Checkpoint, EpochRecord, LoopResult, StopReason } from '../loop';
import { DivergedError, ProgressCallback, throwIfAborted } from '../progress';
import type { TensorSet } from '../tensors';
import { Interlude, InterludeGate } from '../interlude';
import { planOf } from './plan';
import { WebGpuTrainer } from './trainer';

export interface WebGpuLoopConfig {
  stage: string;
  detail?: string;
  model: tfl.LayersModel;
  train: TensorSet;
  batchSize: number;
  budget: Budget;
  seed: number;
  /** Adam's learning rate at a fraction (0..1) of the budget, set before every step. */
  learningRate: (fraction: number) => number;
  validation?: TensorSet;
  validateEverySteps?: number;
  stopRule?: AngleStopRule;
  /** Sees every validation checkpoint (the starting one included); true ends training (reason 'early'). */
  onCheckpoint?: (checkpoint: Checkpoint, fraction: number) => boolean;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /** Default: a device from Dawn's adapter, destroyed at the end. */
  device?: GPUDevice;
  /** A pause for other work part-way through; `model` holds the weights of that moment during it. */
  interlude?: Interlude;
}

/**
 * runLoop (src/train/loop.ts) with the steps on the GPU: the same budget,
 * seeded shuffles, batches, learning rate per step, validation checkpoints,
 * angle rule and early stop, the same LoopResult. Validation copies the
 * weights back into `model` and evaluates there (TF.js, the backend in use);
 * the losses come back at checkpoints and epoch ends (and every `lossEvery`
 * steps), so a progress event carries the latest loss read back, and a NaN
 * loss is caught there. At the end `model` holds the last weights.
 */
export async function runLoopOnWebGpu(cfg: WebGpuLoopConfig): Promise<LoopResult> {
  assertBudget(cfg.budget, cfg.stage);
  const { model, train } = cfg;
  const plan = planOf(model, train.output ?? 'softmax');
  const batchSize = Math.max(1, Math.min(cfg.batchSize, train.count));
  const stepsPerEpoch = Math.max(1, Math.ceil(train.count / batchSize));
  const xs = train.x.dataSync() as Float32Array;
  const ids = train.labels.dataSync();
  for (const id of ids)
    if (!(id >= 0 && id < plan.classes)) throw new Error(`label ${id} is outside 0..${plan.classes - 1}`);
  const device = cfg.device ?? (await requestDevice());
  const trainer = await WebGpuTrainer.create(
    device,
    plan,
    model.getWeights().map((w) => w.dataSync() as Float32Array),
    { maxBatch: batchSize, lossEvery: Math.min(50, cfg.validateEverySteps ?? 50) },
  );
  const shapes = model.getWeights().map((w) => w.shape);
  const syncWeights = async () => {
    const tensors = (await trainer.readWeights()).map((v, i) => tf.tensor(v, shapes[i], 'float32'));
    model.setWeights(tensors);
    tf.dispose(tensors);
  };
  const validate = cfg.validation
    ? async () => {
        await syncWeights();
        return evaluate(model, cfg.validation!).accuracy;
      }
    : undefined;
  const stopper = cfg.stopRule ? new AngleStopper(cfg.stopRule) : undefined;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const sizes: number[] = [];
  const epochOfStep: number[] = [];
  let losses: number[] = [];
  /** Waits for the GPU, checks every loss so far, returns the size-weighted mean over steps [from, to). */
  const drain = async (from: number, to: number): Promise<number> => {
    losses = await trainer.losses();
    const bad = losses.findIndex((l) => !Number.isFinite(l));
    if (bad !== -1) {
      const epoch = epochOfStep[bad];
      throw new DivergedError(cfg.stage, epoch, bad - epochOfStep.indexOf(epoch));
    }
    let sum = 0;
    let n = 0;
    for (let s = from; s < to; s++) {
      sum += losses[s] * sizes[s];
      n += sizes[s];
    }
    return sum / Math.max(1, n);
  };
  const checkpoints: Checkpoint[] = [];
  const records: EpochRecord[] = [];
  const accuracies: number[] = [];
  let steps = 0;
  let sinceCheckpoint = 0;
  let stoppedBy: StopReason = 'epochs';
  let rate: number | undefined;
  let stopEarly = false;
  let halt = false;
  const gate = new InterludeGate(cfg.interlude);
  const checkpoint = async (fraction: number) => {
    const loss = await drain(sinceCheckpoint, steps);
    const c: Checkpoint = { steps, seconds: elapsed(), loss, validationAccuracy: await validate!() };
    if (rate !== undefined) c.learningRate = rate;
    checkpoints.push(c);
    sinceCheckpoint = steps;
    if (cfg.onCheckpoint?.(c, fraction)) stopEarly = true;
    return c.validationAccuracy;
  };
  try {
    if (validate && cfg.validateEverySteps) {
      checkpoints.push({
        steps: 0,
        seconds: 0,
        loss: Number.NaN,
        validationAccuracy: evaluate(model, cfg.validation!).accuracy,
      });
      cfg.onCheckpoint?.(checkpoints[0], 0);
    }
    const width = plan.inputSize;
    const x = new Float32Array(batchSize * width);
    const labels = new Uint32Array(batchSize);
    const order = new Int32Array(train.count);
    const maxEpochs = cfg.budget.epochs ?? Number.POSITIVE_INFINITY;
    for (let epoch = 0; epoch < maxEpochs; epoch++) {
      for (let i = 0; i < train.count; i++) order[i] = i;
      shuffleInPlace(order, mulberry32(deriveSeed(cfg.seed, epoch)));
      const epochStart = steps;
      let outOfTime = false;
      for (let step = 0; step < stepsPerEpoch; step++) {
        throwIfAborted(cfg.signal, cfg.stage);
        const batch = order.subarray(step * batchSize, Math.min(train.count, (step + 1) * batchSize));
        for (let r = 0; r < batch.length; r++) {
          x.set(xs.subarray(batch[r] * width, (batch[r] + 1) * width), r * width);
          labels[r] = ids[batch[r]];
        }
        rate = cfg.learningRate(budgetFraction(cfg.budget, epoch + step / stepsPerEpoch, elapsed()));
        await trainer.step(x, labels, batch.length, rate);
        sizes.push(batch.length);
        epochOfStep.push(epoch);
        steps++;
        const lastOfEpoch = step === stepsPerEpoch - 1;
        const t = elapsed();
        const fraction = budgetFraction(cfg.budget, epoch + (step + 1) / stepsPerEpoch, t);
        if (validate && cfg.validateEverySteps && steps % cfg.validateEverySteps === 0 && !lastOfEpoch)
          await checkpoint(fraction);
        cfg.onProgress?.({
          stage: cfg.stage,
          detail: cfg.detail,
          epoch,
          epochs: cfg.budget.epochs,
          step,
          stepsPerEpoch,
          loss: losses.at(-1) ?? Number.NaN,
          fraction,
          elapsedSeconds: t,
          etaSeconds: fraction > 0 ? (t / fraction) * (1 - fraction) : undefined,
        });
        if (cfg.budget.seconds !== undefined && t >= cfg.budget.seconds) {
          outOfTime = true;
          break;
        }
        if (stopEarly) break;
        if (gate.due(steps, t)) {
          await syncWeights();
          if (await gate.run(steps)) {
            halt = true;
            break;
          }
        }
      }
      const epochLoss = await drain(epochStart, steps);
      let validationAccuracy: number | undefined;
      if (stopEarly || halt) validationAccuracy = checkpoints.at(-1)?.validationAccuracy;
      else if (validate) validationAccuracy = await checkpoint(budgetFraction(cfg.budget, epoch + 1, elapsed()));
      const stop = endEpoch(
        {
          stage: cfg.stage,
          detail: cfg.detail,
          budget: cfg.budget,
          epoch,
          stepsPerEpoch,
          loss: epochLoss,
          validationAccuracy,
          elapsedSeconds: elapsed(),
          stopEarly: stopEarly || halt,
          outOfTime,
        },
        { records, accuracies, stopper },
        cfg.onProgress,
      );
      if (stop) {
        stoppedBy = halt ? 'halted' : stop;
        break;
      }
    }
    await syncWeights();
    await gate.atEnd(steps);
    return { epochs: records, checkpoints, steps, seconds: elapsed(), stoppedBy };
  } finally {
    trainer.destroy();
    if (!cfg.device) device.destroy();
  }
}

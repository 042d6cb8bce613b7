import { BestCheckpoint } from '../train/best-checkpoint';
import { EarlyStopper } from '../train/early-stop';
import { constantSchedule, defaultStage2Schedule, learningRateAt } from '../train/schedule';
import { runLoopOnWebGpu } from '../train/webgpu/loop';
import type { LoopResult } from '../train/loop';
import type { Stage2Report, Stage2Run } from './stage2';

/**
 * Stage II (see runStage2) with the steps on the GPU through deepend's WebGPU
 * trainer: the same schedule, early stopping, best-checkpoint restore and
 * report. Throws UnsupportedModelError (before any training) for a model
 * with layers the trainer has no kernels for; the caller then runs Stage II
 * on wasm. Nothing calls this by default yet (docs/design/gpu.md).
 */
export async function runStage2OnWebGpu(
  run: Stage2Run & { device?: GPUDevice },
): Promise<{ loop: LoopResult; report: Stage2Report }> {
  const options = run.options ?? {};
  const schedule =
    options.schedule === 'constant'
      ? constantSchedule(run.learningRate)
      : (options.schedule ?? defaultStage2Schedule(run.learningRate));
  const earlyStop = options.earlyStop || null;
  const stopper = earlyStop ? new EarlyStopper(earlyStop) : undefined;
  const best = options.keepBest === false ? undefined : new BestCheckpoint(run.model);
  try {
    const loop = await runLoopOnWebGpu({
      stage: 'stage2',
      model: run.model,
      train: run.train,
      batchSize: run.batchSize,
      budget: run.budget,
      seed: run.seed,
      learningRate: (fraction) => learningRateAt(schedule, fraction),
      validation: run.validation,
      validateEverySteps: Math.max(1, Math.round(run.validateEverySamples / run.batchSize)),
      stopRule: run.stopRule,
      onProgress: run.onProgress,
      signal: run.signal,
      device: run.device,
      onCheckpoint: (c, fraction) => {
        best?.offer(c.steps, c.seconds, c.validationAccuracy);
        const stop = stopper?.shouldStop(c.validationAccuracy, fraction) ?? false;
        return c.steps > 0 && stop;
      },
    });
    const kept = best?.restore() ?? null;
    return {
      loop,
      report: {
        learningRate: run.learningRate,
        batchSize: run.batchSize,
        epochs: loop.epochs.length,
        steps: loop.steps,
        stoppedBy: loop.stoppedBy,
        schedule,
        earlyStop,
        validationAtStart: loop.checkpoints[0]?.steps === 0 ? loop.checkpoints[0].validationAccuracy : undefined,
        kept,
      },
    };
  } finally {
    best?.dispose();
  }
}

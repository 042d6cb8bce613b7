import { learningRateAt } from '../train/schedule';
import { runLoopOnWebGpu } from '../train/webgpu/loop';
import type { LoopResult } from '../train/loop';
import { type Stage2Report, type Stage2Run, stage2Rules } from './stage2';

/**
 * Stage II (see runStage2) with the steps on the GPU through deepend's WebGPU
 * trainer: the same schedule, early stopping, best-checkpoint restore and
 * report (stage2Rules). Throws UnsupportedModelError (before any training) for
 * a model with layers the trainer has no kernels for; the caller then runs
 * Stage II on wasm. Nothing calls this by default yet (docs/design/gpu.md).
 */
export async function runStage2OnWebGpu(
  run: Stage2Run & { device?: GPUDevice },
): Promise<{ loop: LoopResult; report: Stage2Report }> {
  const rules = stage2Rules(run);
  try {
    const loop = await runLoopOnWebGpu({
      stage: 'stage2',
      model: run.model,
      train: run.train,
      batchSize: run.batchSize,
      budget: run.budget,
      seed: run.seed,
      learningRate: (fraction) => learningRateAt(rules.schedule, fraction),
      validation: run.validation,
      validateEverySteps: Math.max(1, Math.round(run.validateEverySamples / run.batchSize)),
      stopRule: run.stopRule,
      onProgress: run.onProgress,
      signal: run.signal,
      device: run.device,
      onCheckpoint: rules.onCheckpoint,
      interlude: run.interlude,
    });
    return { loop, report: rules.report(loop) };
  } finally {
    rules.dispose();
  }
}

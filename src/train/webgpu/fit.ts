import { tf, tfl } from '../../tf';
import { requestDevice } from '../../compute/webgpu/dawn';
import { deriveSeed, mulberry32, shuffleInPlace } from '../../data/random';
import { throwIfAborted } from '../progress';
import type { TensorSet } from '../tensors';
import { planOf } from './plan';
import { WebGpuTrainer } from './trainer';

export interface WebGpuFitOptions {
  epochs: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Loss readback interval in steps (default 50). */
  lossEvery?: number;
  /** A device to train on; default: one from Dawn's adapter, destroyed at the end. */
  device?: GPUDevice;
  signal?: AbortSignal;
}

export interface WebGpuFitResult {
  steps: number;
  /** Mean training loss per epoch, weighted by batch size as runLoop weights it. */
  epochLosses: number[];
  /** Mean loss of each step. */
  stepLosses: number[];
  seconds: number;
}

/**
 * Trains `model` (see planOf for the layers it takes) on the GPU with Adam
 * and cross-entropy, exactly as trainClassifier does on wasm: the same
 * per-epoch seeded shuffle, the same batches, the same loss. The trained
 * weights are written back into `model`. No validation, schedule or early
 * stopping yet: Stage II still trains on wasm (docs/design/gpu.md).
 */
export async function fitOnWebGpu(
  model: tfl.LayersModel,
  train: TensorSet,
  opts: WebGpuFitOptions,
): Promise<WebGpuFitResult> {
  const plan = planOf(model, train.output ?? 'softmax');
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 64, train.count));
  const seed = opts.seed ?? 1;
  const xs = train.x.dataSync() as Float32Array;
  const ids = train.labels.dataSync();
  for (const id of ids)
    if (!(id >= 0 && id < plan.classes)) throw new Error(`label ${id} is outside 0..${plan.classes - 1}`);
  const device = opts.device ?? (await requestDevice());
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  const trainer = await WebGpuTrainer.create(device, plan, weights, {
    maxBatch: batchSize,
    learningRate: opts.learningRate ?? 1e-3,
    lossEvery: opts.lossEvery,
  });
  const started = performance.now();
  try {
    const width = plan.inputSize;
    const x = new Float32Array(batchSize * width);
    const labels = new Uint32Array(batchSize);
    const order = new Int32Array(train.count);
    const stepsPerEpoch = Math.ceil(train.count / batchSize);
    const sizes: number[] = [];
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      for (let i = 0; i < train.count; i++) order[i] = i;
      shuffleInPlace(order, mulberry32(deriveSeed(seed, epoch)));
      for (let step = 0; step < stepsPerEpoch; step++) {
        throwIfAborted(opts.signal, 'webgpu');
        const batch = order.subarray(step * batchSize, Math.min(train.count, (step + 1) * batchSize));
        for (let r = 0; r < batch.length; r++) {
          const row = batch[r];
          x.set(xs.subarray(row * width, (row + 1) * width), r * width);
          labels[r] = ids[row];
        }
        await trainer.step(x, labels, batch.length);
        sizes.push(batch.length);
      }
    }
    const stepLosses = await trainer.losses();
    const trained = await trainer.readWeights();
    const shapes = model.getWeights().map((w) => w.shape);
    const tensors = trained.map((values, i) => tf.tensor(values, shapes[i], 'float32'));
    model.setWeights(tensors);
    tf.dispose(tensors);
    const epochLosses: number[] = [];
    for (let e = 0; e < opts.epochs; e++) {
      let sum = 0;
      let n = 0;
      for (let s = e * stepsPerEpoch; s < (e + 1) * stepsPerEpoch; s++) {
        sum += stepLosses[s] * sizes[s];
        n += sizes[s];
      }
      epochLosses.push(sum / Math.max(1, n));
    }
    return { steps: trainer.steps, epochLosses, stepLosses, seconds: (performance.now() - started) / 1000 };
  } finally {
    trainer.destroy();
    if (!opts.device) device.destroy();
  }
}

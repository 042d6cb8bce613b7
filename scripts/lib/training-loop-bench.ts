// deepend's own training loop (trainClassifier, as Stage II runs it) on wasm, with deepend's training changes to
// TF.js and without them, in interleaved rounds: the GatherV2 kernel that takes each shuffled batch, and the
// fused ops that compute no input gradient while a gradient is recorded (src/tf.ts). bench:train's throughput
// rows take contiguous batches with Slice and `activation: 'relu'` units, so they see neither.
import { resolve } from 'node:path';
import { shippedFusedOps, tf, tfl } from '../../src/tf';
import { replacedUpstream } from '../../src/compute/wasm-kernels';
import { selectBackend } from '../../src/compute/backend';
import { loadModel } from '../../src/model/io';
import { trainClassifier } from '../../src/train/classifier';

const SHIPPED_MODEL = resolve(__dirname, '../../../models/default');

export interface LoopResult {
  model: string;
  /** Samples per second of each round, deepend's and TF.js's as shipped. */
  ours: number[];
  shipped: number[];
}

type FusedOps = typeof shippedFusedOps;

/** Runs `fn` with TF.js's fused ops and GatherV2 kernel as shipped, then puts deepend's back. */
async function asShipped<T>(fn: () => Promise<T>): Promise<T> {
  const fused = tf.fused as unknown as FusedOps;
  const ours = { ...fused };
  const gather = tf.getKernel(tf.GatherV2, 'wasm');
  const upstreamGather = replacedUpstream(tf.GatherV2);
  Object.assign(fused, shippedFusedOps);
  if (gather && upstreamGather) {
    tf.unregisterKernel(tf.GatherV2, 'wasm');
    tf.registerKernel({ ...gather, kernelFunc: upstreamGather as unknown as tf.KernelFunc });
  }
  try {
    return await fn();
  } finally {
    Object.assign(fused, ours);
    if (gather && upstreamGather) {
      tf.unregisterKernel(tf.GatherV2, 'wasm');
      tf.registerKernel(gather);
    }
  }
}

/** A Keras-style MLP: linear Dense units, each followed by its own activation layer. */
function kerasStyleMlp(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [784], units: 256 }),
      tfl.layers.reLU(),
      tfl.layers.dense({ units: 256 }),
      tfl.layers.reLU(),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

async function epochSamplesPerSecond(model: tfl.LayersModel, x: tf.Tensor, labels: tf.Tensor1D): Promise<number> {
  const started = performance.now();
  await trainClassifier(
    model,
    { x, labels, count: labels.shape[0], classes: 10 },
    {
      stage: 'bench',
      budget: { epochs: 1 },
      seed: 1,
    },
  );
  return (labels.shape[0] * 1000) / (performance.now() - started);
}

/** One epoch of the shipped model and of a Keras-style MLP on the data, `rounds` times each way, interleaved. */
export async function benchTrainingLoop(
  data: { x: Float32Array; y: Int32Array; count: number },
  rounds: number,
): Promise<LoopResult[]> {
  await selectBackend('wasm');
  const labels = tf.tensor1d(data.y, 'int32');
  const results: LoopResult[] = [];
  for (const name of ['shipped CNN', 'Keras-style MLP'] as const) {
    const model = name === 'shipped CNN' ? (await loadModel(SHIPPED_MODEL)).model : kerasStyleMlp();
    const x = tf.tensor(data.x, name === 'shipped CNN' ? [data.count, 28, 28, 1] : [data.count, 784], 'float32');
    const result: LoopResult = { model: name, ours: [], shipped: [] };
    await epochSamplesPerSecond(model, x, labels); // warm-up: XNNPACK operators, compiled code
    for (let r = 0; r < rounds; r++) {
      result.shipped.push(await asShipped(() => epochSamplesPerSecond(model, x, labels)));
      result.ours.push(await epochSamplesPerSecond(model, x, labels));
    }
    results.push(result);
    model.dispose();
    x.dispose();
  }
  labels.dispose();
  return results;
}

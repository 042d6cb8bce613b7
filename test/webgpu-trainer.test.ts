import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { requestDevice } from '../src/compute/webgpu/dawn';
import { mulberry32 } from '../src/data/random';
import { buildModel } from '../src/model/build';
import type { ArchSpec, OutputKind } from '../src/model/arch';
import { classifierLoss, trainClassifier } from '../src/train/classifier';
import type { TensorSet } from '../src/train/tensors';
import { fitOnWebGpu } from '../src/train/webgpu/fit';
import { densePlanOf, UnsupportedModelError } from '../src/train/webgpu/plan';
import { WebGpuDenseTrainer } from '../src/train/webgpu/trainer';
import { webgpuSkipReason } from './helpers/webgpu';

// The WebGPU trainer (Dawn; lavapipe in CI) against deepend's own training
// path, TF.js on the wasm backend: one whole step (loss, every gradient, the
// Adam update), then whole epochs through fitOnWebGpu vs trainClassifier.

const [FEATURES, CLASSES] = [20, 5];

function mlpSpec(output: OutputKind = 'softmax'): ArchSpec {
  return {
    family: 'mlp',
    inputShape: [FEATURES],
    classes: CLASSES,
    output: output === 'logits' ? 'linear' : undefined,
    blocks: [
      { kind: 'dense', name: 'b0', units: 32, activation: 'relu' },
      { kind: 'dense', name: 'b1', units: 16, activation: 'relu' },
    ],
    nextBlockId: 2,
  };
}

/** Separable synthetic data: the class is the argmax of a fixed random linear map of x. */
function dataset(count: number, seed: number, output: OutputKind = 'softmax'): TensorSet {
  const random = mulberry32(seed);
  const x = Float32Array.from({ length: count * FEATURES }, () => random() * 2 - 1);
  const map = Float32Array.from({ length: FEATURES * CLASSES }, () => random() * 2 - 1);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let top = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let s = 0;
      for (let f = 0; f < FEATURES; f++) s += x[i * FEATURES + f] * map[f * CLASSES + c];
      if (s > top) [top, best] = [s, c];
    }
    labels[i] = best;
  }
  return {
    x: tf.tensor2d(x, [count, FEATURES]),
    labels: tf.tensor1d(labels, 'int32'),
    count,
    classes: CLASSES,
    output,
  };
}

/** max |a - b| / max(1e-3, max |b|): error relative to the reference's scale. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'sizes differ');
  let diff = 0;
  let scale = 1e-3;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / scale;
}

function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length, 'sizes differ');
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(got[i] - want[i]));
  return diff;
}

test('densePlanOf: deepend MLPs become a dense plan; conv layers are refused by name', async () => {
  await selectBackend('cpu');
  const plan = densePlanOf(buildModel(mlpSpec(), 1));
  assert.deepEqual(
    plan.layers.map((l) => [l.inputs, l.units, l.relu, l.bias]),
    [
      [20, 32, true, true],
      [32, 16, true, true],
      [16, 5, false, true],
    ],
  );
  assert.equal(plan.output, 'softmax');
  assert.equal(densePlanOf(buildModel(mlpSpec('logits'), 1), 'logits').output, 'logits');
  const conv = buildModel(
    {
      family: 'conv',
      inputShape: [8, 8, 1],
      classes: 3,
      blocks: [
        { kind: 'conv', name: 'b0', filters: 4, kernel: 3, batchNorm: false, activation: 'relu', poolAfter: true },
      ],
      nextBlockId: 1,
    },
    1,
  );
  assert.throws(
    () => densePlanOf(conv),
    (e: Error) => e instanceof UnsupportedModelError && /b0.*Conv2D/.test(e.message),
  );
});

describe('WebGPU trainer against TF.js on wasm', async () => {
  const skip = await webgpuSkipReason();
  let device: GPUDevice;
  before(async () => {
    if (skip) return;
    await selectBackend('wasm');
    device = await requestDevice();
  });
  after(() => device?.destroy());

  for (const output of ['softmax', 'logits'] as const) {
    test(`one step (${output} output), batch 48: the loss, every gradient and the Adam update`, { skip }, async () => {
      const model = buildModel(mlpSpec(output), 3);
      const data = dataset(48, 11, output);
      const lr = 0.01;
      const start = model.getWeights().map((w) => w.dataSync() as Float32Array);
      // Reference: the loss trainClassifier minimises, its gradients, one Adam step.
      const variables = model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
      const { value, grads } = tf.variableGrads(
        () => classifierLoss(model.apply(data.x, { training: true }) as tf.Tensor, data.labels, CLASSES, output),
        variables,
      );
      const wantLoss = value.dataSync()[0];
      const wantGrads = variables.map((v) => grads[v.name].dataSync() as Float32Array);
      const optimizer = tf.train.adam(lr);
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      const wantWeights = model.getWeights().map((w) => w.dataSync() as Float32Array);

      const trainer = await WebGpuDenseTrainer.create(device, densePlanOf(model, output), start, {
        maxBatch: 64,
        learningRate: lr,
      });
      try {
        await trainer.step(data.x.dataSync() as Float32Array, Uint32Array.from(data.labels.dataSync()), 48);
        const [gotLoss] = await trainer.losses();
        assert.ok(Math.abs(gotLoss - wantLoss) < 1e-5, `loss ${gotLoss} vs ${wantLoss}`);
        const gotGrads = await trainer.readGradients();
        const gotWeights = await trainer.readWeights();
        const names = model.weights.map((w) => w.name);
        for (let i = 0; i < wantGrads.length; i++) {
          const e = relError(gotGrads[i], wantGrads[i]);
          assert.ok(e < 1e-4, `gradient of ${names[i]}: relative error ${e}`);
          // One Adam step moves a weight by about lr; where a gradient is near eps the step is sensitive
          // to its last bits, so the update is compared against its own size: within 0.1% of lr.
          const u = maxAbsDiff(gotWeights[i], wantWeights[i]);
          assert.ok(u < 1e-3 * lr, `weights of ${names[i]} after Adam: off by ${u} (lr ${lr})`);
        }
      } finally {
        trainer.destroy();
        optimizer.dispose();
        tf.dispose([value, ...Object.values(grads)]);
      }
    });
  }

  test('three epochs of 200 samples at batch 64 (a partial last batch): fitOnWebGpu follows trainClassifier step by step', {
    skip,
  }, async () => {
    const data = dataset(200, 21);
    const onWasm = buildModel(mlpSpec(), 5);
    const onGpu = buildModel(mlpSpec(), 5);
    const wasmLosses: number[] = [];
    const loop = trainClassifier(onWasm, data, {
      stage: 'test',
      budget: { epochs: 3 },
      batchSize: 64,
      learningRate: 3e-3,
      seed: 9,
      onProgress: (p) => {
        if (p.validationAccuracy === undefined) wasmLosses.push(p.loss);
      },
    });
    const fit = await fitOnWebGpu(onGpu, data, {
      epochs: 3,
      batchSize: 64,
      learningRate: 3e-3,
      seed: 9,
      lossEvery: 5,
      device,
    });
    assert.equal(fit.steps, loop.steps);
    assert.equal(fit.stepLosses.length, wasmLosses.length);
    const lossError = relError(fit.stepLosses, wasmLosses);
    assert.ok(
      lossError < 1e-4,
      `per-step losses differ by ${lossError}: ${fit.stepLosses.slice(-3)} vs ${wasmLosses.slice(-3)}`,
    );
    assert.ok(fit.stepLosses.at(-1)! < fit.stepLosses[0], 'the loss went down');
    for (let e = 0; e < 3; e++)
      assert.ok(
        Math.abs(fit.epochLosses[e] - loop.epochs[e].loss) < 1e-4,
        `epoch ${e} loss ${fit.epochLosses[e]} vs ${loop.epochs[e].loss}`,
      );
    const gpuWeights = onGpu.getWeights();
    onWasm.getWeights().forEach((w, i) => {
      const e = relError(gpuWeights[i].dataSync(), w.dataSync());
      assert.ok(e < 1e-3, `weight ${onWasm.weights[i].name} after 12 steps: relative error ${e}`);
    });
    data.x.dispose();
    data.labels.dispose();
  });
});

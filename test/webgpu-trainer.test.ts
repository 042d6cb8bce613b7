import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { requestDevice } from '../src/compute/webgpu/dawn';
import { mulberry32 } from '../src/data/random';
import { buildModel } from '../src/model/build';
import type { ArchSpec, OutputKind } from '../src/model/arch';
import { classifierLoss, trainClassifier } from '../src/train/classifier';
import type { TensorSet } from '../src/train/tensors';
import { fitOnWebGpu } from '../src/train/webgpu/fit';
import { planOf, UnsupportedModelError } from '../src/train/webgpu/plan';
import { WebGpuTrainer } from '../src/train/webgpu/trainer';
import { webgpuSkipReason } from './helpers/webgpu';

// The WebGPU trainer (Dawn; lavapipe in CI) against deepend's own training
// path, TF.js on the wasm backend: one whole step (loss, every gradient, the
// Adam update), then whole epochs through fitOnWebGpu vs trainClassifier.

const [FEATURES, CLASSES, IMAGE] = [20, 5, 12];

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

/** The shipped model's shape in small: two conv blocks (3x3 same, relu, 2x2 max pool), flatten, dense softmax. */
function cnnSpec(batchNorm: boolean): ArchSpec {
  return {
    family: 'conv',
    inputShape: [IMAGE, IMAGE, 1],
    classes: CLASSES,
    blocks: [
      { kind: 'conv', name: 'b0', filters: 4, kernel: 3, batchNorm, activation: 'relu', poolAfter: true },
      { kind: 'conv', name: 'b1', filters: 6, kernel: 3, batchNorm, activation: 'relu', poolAfter: true },
    ],
    nextBlockId: 2,
  };
}

/** Strided and valid convolutions too: conv 3x3 valid stride 2 relu, conv 3x3 same relu, pool, dense relu, dense logits. */
function stridedCnn(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [IMAGE, IMAGE, 1],
      filters: 5,
      kernelSize: 3,
      strides: 2,
      padding: 'valid',
      activation: 'relu',
      kernelInitializer: tfl.initializers.heNormal({ seed: 1 }),
    }),
  );
  m.add(
    tfl.layers.conv2d({
      filters: 6,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tfl.initializers.heNormal({ seed: 2 }),
    }),
  );
  m.add(tfl.layers.reLU());
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(tfl.layers.dense({ units: 12, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 3 }) }));
  m.add(tfl.layers.dense({ units: CLASSES, kernelInitializer: tfl.initializers.heNormal({ seed: 4 }) }));
  return m;
}

/** Separable synthetic data: the class is the argmax of a fixed random linear map of x. */
function dataset(count: number, seed: number, output: OutputKind = 'softmax', shape = [FEATURES]): TensorSet {
  const random = mulberry32(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: count * size }, () => random() * 2 - 1);
  const map = Float32Array.from({ length: size * CLASSES }, () => random() * 2 - 1);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    let best = 0;
    let top = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let s = 0;
      for (let f = 0; f < size; f++) s += x[i * size + f] * map[f * CLASSES + c];
      if (s > top) [top, best] = [s, c];
    }
    labels[i] = best;
  }
  return {
    x: tf.tensor(x, [count, ...shape]),
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

test('planOf: deepend MLP and conv models become plans; a layer without kernels (BatchNorm) is refused by name', async () => {
  await selectBackend('cpu');
  const plan = planOf(buildModel(mlpSpec(), 1));
  assert.deepEqual(
    plan.layers.map((l) => (l.kind === 'dense' ? [l.inputs, l.units, l.relu, l.bias] : l.kind)),
    [
      [20, 32, true, true],
      [32, 16, true, true],
      [16, 5, false, true],
    ],
  );
  assert.equal(plan.output, 'softmax');
  assert.equal(planOf(buildModel(mlpSpec('logits'), 1), 'logits').output, 'logits');
  const cnn = buildModel(cnnSpec(false), 1);
  assert.deepEqual(
    planOf(cnn).layers.map((l) => l.kind),
    ['conv', 'maxpool', 'conv', 'maxpool', 'dense'],
  );
  assert.throws(
    () => planOf(buildModel(cnnSpec(true), 1)),
    (e: Error) => e instanceof UnsupportedModelError && /BatchNormalization/.test(e.message),
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

  const oneStepCases: [string, () => tfl.LayersModel, 'softmax' | 'logits', number[]][] = [
    ['MLP 20-32-16-5, softmax output', () => buildModel(mlpSpec('softmax'), 3), 'softmax', [FEATURES]],
    ['MLP 20-32-16-5, logits output', () => buildModel(mlpSpec('logits'), 3), 'logits', [FEATURES]],
    [
      'CNN shaped as the shipped model (conv same, relu, pool x2, dense softmax)',
      () => buildModel(cnnSpec(false), 3),
      'softmax',
      [IMAGE, IMAGE, 1],
    ],
    [
      'CNN with a valid stride-2 conv, a separate ReLU layer and a hidden dense, logits',
      stridedCnn,
      'logits',
      [IMAGE, IMAGE, 1],
    ],
  ];
  for (const [name, makeModel, output, shape] of oneStepCases) {
    test(`one step, batch 48, ${name}: the loss, every gradient and the Adam update`, { skip }, async () => {
      const model = makeModel();
      const data = dataset(48, 11, output, shape);
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

      const trainer = await WebGpuTrainer.create(device, planOf(model, output), start, {
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

  const fitCases: [string, () => tfl.LayersModel, number[], number, number][] = [
    // [name, model, sample shape, samples, epochs]
    ['MLP, three epochs of 200 samples', () => buildModel(mlpSpec(), 5), [FEATURES], 200, 3],
    [
      'the shipped-model-shaped CNN, two epochs of 150 samples',
      () => buildModel(cnnSpec(false), 5),
      [IMAGE, IMAGE, 1],
      150,
      2,
    ],
  ];
  for (const [name, makeModel, shape, count, epochs] of fitCases) {
    test(`${name} at batch 64 (a partial last batch): fitOnWebGpu follows trainClassifier on wasm step by step`, {
      skip,
    }, async () => {
      const data = dataset(count, 21, 'softmax', shape);
      const onWasm = makeModel();
      const onGpu = makeModel();
      const wasmLosses: number[] = [];
      const loop = await trainClassifier(onWasm, data, {
        stage: 'test',
        budget: { epochs },
        batchSize: 64,
        learningRate: 3e-3,
        seed: 9,
        onProgress: (p) => {
          if (p.validationAccuracy === undefined) wasmLosses.push(p.loss);
        },
      });
      const fit = await fitOnWebGpu(onGpu, data, {
        epochs,
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
      for (let e = 0; e < epochs; e++)
        assert.ok(
          Math.abs(fit.epochLosses[e] - loop.epochs[e].loss) < 1e-4,
          `epoch ${e} loss ${fit.epochLosses[e]} vs ${loop.epochs[e].loss}`,
        );
      const gpuWeights = onGpu.getWeights();
      onWasm.getWeights().forEach((w, i) => {
        const e = relError(gpuWeights[i].dataSync(), w.dataSync());
        assert.ok(e < 1e-3, `weight ${onWasm.weights[i].name} after ${loop.steps} steps: relative error ${e}`);
      });
      data.x.dispose();
      data.labels.dispose();
    });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../src/compute/backend';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { grow } from '../src/grow/run';
import { loadModel } from '../src/model/io';
import { DEFAULT_MODEL } from './helpers/cli';
import { webgpuSkipReason } from './helpers/webgpu';

// A short growth of the shipped model (2-conv CNN, MNIST digits) with Stage II
// on deepend's WebGPU trainer (lavapipe here) against the same growth with
// Stage II on wasm: same steps, same checkpoints within float noise, and the
// held-out accuracy within 0.5 points.

test('growing the shipped model with Stage II on WebGPU ends within 0.5 points of Stage II on wasm', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const backend = (await selectBackend('wasm')).name;
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1200,
  });
  const split = splitDataset(data);
  const run = async (stage2Trainer: 'wasm' | 'webgpu') => {
    const parent = await loadModel(DEFAULT_MODEL);
    const { model, report } = await grow({
      parent,
      method: 'identity',
      toDepth: 3,
      split,
      budget: { epochs: 1 },
      backend,
      seed: 3,
      validateEverySamples: 256,
      stage2Trainer,
    });
    model.dispose();
    parent.model.dispose();
    return report;
  };
  const onWasm = await run('wasm');
  const onGpu = await run('webgpu');
  assert.deepEqual(onGpu.stage2.trainer, { name: 'webgpu' });
  assert.deepEqual(onWasm.stage2.trainer, { name: 'wasm' });
  assert.equal(onGpu.stage2.steps, onWasm.stage2.steps);
  const gpuCurve = onGpu.curves.at(-1)!.checkpoints!;
  const wasmCurve = onWasm.curves.at(-1)!.checkpoints!;
  assert.deepEqual(
    gpuCurve.map((c) => c.steps),
    wasmCurve.map((c) => c.steps),
  );
  gpuCurve.forEach((c, i) => {
    assert.ok(
      Math.abs(c.validationAccuracy - wasmCurve[i].validationAccuracy) <= 0.005,
      `checkpoint at step ${c.steps}: ${c.validationAccuracy} on WebGPU vs ${wasmCurve[i].validationAccuracy} on wasm`,
    );
  });
  const gap = Math.abs(onGpu.accuracyAfter - onWasm.accuracyAfter);
  t.diagnostic(
    `held-out accuracy after growth: webgpu ${(onGpu.accuracyAfter * 100).toFixed(2)}%, wasm ${(onWasm.accuracyAfter * 100).toFixed(2)}%; Stage II ${onGpu.stage2.steps} steps, ${onGpu.phases.stage2.end - onGpu.phases.stage2.start} s vs ${onWasm.phases.stage2.end - onWasm.phases.stage2.start} s`,
  );
  assert.ok(gap <= 0.005, `held-out accuracy ${onGpu.accuracyAfter} vs ${onWasm.accuracyAfter}`);
});

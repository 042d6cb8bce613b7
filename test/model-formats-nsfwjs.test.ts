import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { loadArtifacts, readModelArtifacts } from '../src/model/formats';
import { writeNsfwjsFixture } from './helpers/nsfwjs-fixture';
import { maxAbsDiff } from './helpers/format-models';
import { snapshot } from './helpers/dir-snapshot';

let root: string;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-nsfwjs-'));
});

after(() => rmSync(root, { recursive: true, force: true }));

test('nsfwjs MobileNetV2 (a Keras 2.2.4 export, uint8-quantized) reads, loads and predicts 5 classes summing to 1', async () => {
  const dir = writeNsfwjsFixture(join(root, 'mobilenet_v2'));
  const before = snapshot(dir);
  const artifacts = await readModelArtifacts(dir);
  assert.deepEqual(snapshot(dir), before);
  assert.equal(artifacts.format, 'tfjs-layers');
  assert.deepEqual(artifacts.producer, { kerasVersion: '2.2.4', backend: 'tensorflow' });
  assert.ok(artifacts.weightSpecs.every((s) => s.dtype === 'float32' && !s.quantization));

  const model = await loadArtifacts(artifacts);
  const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 5);
  const y = model.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 5]);
  const p = Array.from(y.dataSync());
  assert.ok(
    p.every((v) => v >= 0),
    `negative probability in ${p}`,
  );
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-5, `probabilities sum to ${p.reduce((a, b) => a + b, 0)}`);

  // tfjs-layers dequantizes the same files itself: the predictions must agree.
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const shard = readFileSync(join(dir, 'group1-shard1of1.bin'));
  const byTfjs = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: new Uint8Array(shard).buffer,
    }),
  );
  const diff = maxAbsDiff(byTfjs, model, x);
  assert.ok(diff < 1e-5, `differs from tfjs's own loading by ${diff}`);
  tf.dispose([x, y]);
  model.dispose();
  byTfjs.dispose();
});

// A head with no hidden layer (depth 0: features -> [Dropout] -> Dense output, as the Keras transfer-learning
// tutorial ends, or a logistic regression) first gets one that computes what the model did: Dense(width, relu)
// with W = I and a bias that lifts negative features, taken back by the output layer's bias.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from '../src/tf';
import { analyseKeras } from '../src/model/keras/analyse';
import { seedHiddenLayer, seedProblem, seedRefusal } from '../src/grow/seed';
import { grow } from '../src/grow/run';
import { openModelWithData } from '../src/model/open';
import { methodCapabilities } from '../src/grow/capabilities';
import { useTestBackend } from './helpers/backend';
import { runCli } from './helpers/cli';
import { exportConverterDir, writeBlobsCsv } from './helpers/user-models';
import { loadDataset } from '../src/data/load';

let root: string;
before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-seed-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

function maxDiff(a: tfl.LayersModel, b: tfl.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0]);
}

test('a seed before the output computes what the model did: features below 0 are lifted and taken back; after a ReLU no lift', () => {
  const features = tf.randomNormal([200, 5], 0, 2, 'float32', 7);
  const heldOut = tf.randomNormal([200, 5], 0, 2, 'float32', 8);
  for (const [name, first, lifted] of [
    ['raw features', tfl.layers.dropout({ rate: 0.3, inputShape: [5], name: 'drop' }), true],
    ['after a ReLU', tfl.layers.reLU({ inputShape: [5], name: 'relu' }), false],
  ] as const) {
    const model = tfl.sequential({
      layers: [first, tfl.layers.dense({ units: 3, activation: 'softmax', name: 'out' })],
    });
    const { spec } = analyseKeras(model);
    assert.equal(spec.blocks.length, 0);
    const seeded = seedHiddenLayer(model, spec, features);
    assert.equal(seeded.shift > 0, lifted, `${name}: shift ${seeded.shift}`);
    assert.deepEqual(
      seeded.spec.chain?.map((item) => ('block' in item ? item.block : item.layer.config.name)),
      [first.name, 'dense_deepend_1', 'out'],
    );
    assert.deepEqual(seeded.insertion, { afterIndex: -1, afterBlock: first.name, inserted: 'dense_deepend_1' });
    assert.equal(seeded.model.getLayer('dense_deepend_1').getConfig().activation, 'relu');
    // on features other than those the lift was measured on, too
    const diff = maxDiff(model, seeded.model, heldOut);
    assert.ok(diff < 1e-5, `${name}: the seeded model differs by ${diff}`);
    model.dispose();
    seeded.model.dispose();
  }
  tf.dispose([features, heldOut]);
});

test('a head of more than 4096 features takes no seed (it would be as wide, width^2 weights), and inspect says so', () => {
  const wide = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [10, 10, 50], name: 'flat' }),
      tfl.layers.dense({ units: 2, activation: 'softmax', name: 'out' }),
    ],
  });
  const { spec } = analyseKeras(wide);
  assert.equal(seedRefusal(spec), undefined, 'the spec alone does not know the width');
  const problem = seedProblem(wide, spec);
  assert.match(String(problem), /the output layer 'out' takes 5000 features: .* 25M weights; .* at most 4096 features/);
  assert.ok(methodCapabilities(spec, problem).every((c) => !c.ok && c.reason === problem));
  const x = tf.zeros([2, 10, 10, 50]);
  assert.throws(() => seedHiddenLayer(wide, spec, x), /takes 5000 features/);
  x.dispose();
  wide.dispose();
});

test('what cannot take a seed says so: an output that is not a Dense, or negative features and no bias to take the lift back', () => {
  const conv = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 3, kernelSize: 4, inputShape: [4, 4, 1], activation: 'softmax', name: 'conv_out' }),
      tfl.layers.flatten({ name: 'flat' }),
    ],
  });
  const { spec } = analyseKeras(conv);
  assert.match(String(seedRefusal(spec)), /only its output layer \(a Conv2D\): deepend adds a first hidden layer only/);
  assert.ok(methodCapabilities(spec).every((c) => !c.ok && /only its output layer/.test(String(c.reason))));
  conv.dispose();

  const noBias = tfl.sequential({
    layers: [tfl.layers.dense({ units: 2, useBias: false, activation: 'softmax', inputShape: [3], name: 'out' })],
  });
  const analysed = analyseKeras(noBias);
  assert.equal(seedRefusal(analysed.spec), undefined);
  assert.ok(methodCapabilities(analysed.spec).every((c) => c.ok));
  const x = tf.tensor2d([
    [-1, 2, 0.5],
    [0.3, -0.2, 1],
  ]);
  assert.throws(
    () => seedHiddenLayer(noBias, analysed.spec, x),
    /the output layer 'out' has no bias to take back the shift a first hidden layer needs \(its input goes down to -1\.00\)/,
  );
  x.dispose();
  noBias.dispose();
});

test('a logistic regression on CSV features grows to depth 1 and 2: the seeded start answers as the model did', async () => {
  const csv = join(root, 'blobs.csv');
  writeBlobsCsv(csv, 400);
  const data = await loadDataset(csv);
  const model = tfl.sequential({
    name: 'logistic',
    layers: [tfl.layers.dense({ units: 2, activation: 'softmax', inputShape: [8], name: 'classes' })],
  });
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor2d(data.x, [data.count, 8]);
  const y = tf.tensor1d(Float32Array.from(data.y));
  await model.fit(x, y, { epochs: 20, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  const dir = exportConverterDir(model, join(root, 'logistic'));
  model.dispose();

  const inspected = await runCli(['inspect', dir]);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.match(inspected.stdout, /depth {8}0 \(no hidden layer: growth first adds one before 'classes'\)/);
  // in process: each method from depth 0, to depth 1 (the seed alone) and 2, and both baselines; no tensor left
  const backend = await useTestBackend();
  const { loaded, split } = await openModelWithData(dir, csv, {}, backend);
  const held = tf.memory().numTensors;
  for (const [method, toDepth, depthAfter, reported] of [
    ['dils', 1, 1, 'identity'],
    ['morphism', 2, 2, 'morphism'],
    ['auto', 1, 1, 'identity'],
    ['scratch', 1, 1, 'scratch'],
    ['continue', 1, 0, 'continue'],
  ] as const) {
    const { model, report } = await grow({ parent: loaded, method, toDepth, split, budget: { epochs: 1 }, backend });
    assert.deepEqual([report.method, report.depthAfter], [reported, depthAfter], method);
    if (reported !== method) assert.match(String(report.methodReason), new RegExp(`^${method} was asked, but depth 1`));
    else assert.equal(report.methodReason, undefined, method);
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, held, 'tensors left after growing');
  loaded.model.dispose();

  for (const toDepth of [1, 2]) {
    const out = join(root, `grown-${toDepth}`);
    const r = await runCli([
      ...['grow', '--model', dir, '--data', csv, '--to-depth', String(toDepth)],
      ...['--method', 'identity', '--epochs', '2', '--out', out, '--json'],
    ]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual([report.depthBefore, report.depthAfter], [0, toDepth]);
    assert.ok(report.accuracyBefore > 0.75, `the logistic regression's held-out accuracy: ${report.accuracyBefore}`);
    assert.equal(report.accuracyAfterInsertion, report.accuracyBefore, 'the seeded start answers as the model did');
  }
});

test("the text-classification tutorial's model (Embedding, Dropout, 1-D pooling, one raw score) frozen through its Embedding is a depth-0 head", () => {
  const model = tfl.sequential({
    layers: [
      tfl.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 12, name: 'embedding' }),
      tfl.layers.spatialDropout1d({ rate: 0.2, name: 'drop' }),
      tfl.layers.globalAveragePooling1d({ name: 'pool' }),
      tfl.layers.dense({ units: 1, name: 'score' }),
    ],
  });
  const { spec, frozenThrough } = analyseKeras(model, {
    freezeThrough: 'embedding',
    loss: { name: 'binary_crossentropy', fromLogits: true },
  });
  assert.equal(frozenThrough, 'embedding');
  assert.deepEqual(
    spec.chain?.map((item) => ('layer' in item ? item.layer.className : item.block)),
    ['SpatialDropout1D', 'GlobalAveragePooling1D', 'Dense'],
  );
  assert.equal(seedRefusal(spec), undefined);
  model.dispose();
});

test('an Embedding text model frozen through its Embedding grows from depth 0 on token CSV data, its seeded start exact', async () => {
  // 20 tokens a row: mostly from 1..24 for 'neg', from 25..49 for 'pos'
  const lines = [`${Array.from({ length: 20 }, (_, i) => `t${i}`).join(',')},label`];
  let s = 11;
  const token = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return 1 + (s % 49);
  };
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let r = 0; r < 400; r++) {
    const label = r % 2;
    const row = Array.from({ length: 20 }, () => {
      const t = token();
      return t % 4 === 0 ? t : 1 + ((t - 1) % 24) + 24 * label;
    });
    rows.push(row);
    labels.push(label);
    lines.push(`${row.join(',')},${label ? 'pos' : 'neg'}`);
  }
  const csv = join(root, 'tokens.csv');
  writeFileSync(csv, `${lines.join('\n')}\n`);
  const model = tfl.sequential({
    name: 'tokens',
    layers: [
      tfl.layers.embedding({ inputDim: 50, outputDim: 8, inputLength: 20, name: 'embedding' }),
      tfl.layers.globalAveragePooling1d({ name: 'pool' }),
      tfl.layers.dense({ units: 2, activation: 'softmax', name: 'classes' }),
    ],
  });
  // the head learns over random embeddings (wasm has no gradient kernel for an Embedding's lookup)
  model.getLayer('embedding').trainable = false;
  model.compile({ optimizer: tf.train.adam(0.05), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor2d(rows);
  const y = tf.tensor1d(labels);
  await model.fit(x, y, { epochs: 15, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  const dir = exportConverterDir(model, join(root, 'tokens'));
  model.dispose();
  const out = join(root, 'tokens-grown');
  const r = await runCli([
    ...['grow', '--model', dir, '--data', csv, '--freeze-through', 'embedding', '--to-depth', '1'],
    ...['--method', 'dils', '--epochs', '2', '--out', out, '--json'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual([report.method, report.depthBefore, report.depthAfter], ['identity', 0, 1]);
  assert.ok(report.accuracyBefore > 0.6, `the token model's held-out accuracy: ${report.accuracyBefore}`);
  assert.equal(report.accuracyAfterInsertion, report.accuracyBefore);
});

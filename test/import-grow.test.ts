import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { runCli } from './helpers/cli';
import { snapshot } from './helpers/dir-snapshot';
import { writeKeras2H5 } from './helpers/keras-files';
import { functionalModel } from './helpers/format-models';
import {
  blobsMlp,
  digitsAsKerasInput,
  exportConverterDir,
  freezeBackbone,
  loadPlain,
  trainedUserModel,
  USER_MODEL_FIXTURES,
  USER_MODEL_TRAINING,
  writeBlobsCsv,
} from './helpers/user-models';
import { openModelWithData } from '../src/model/open';
import { growthParts } from '../src/model/keras/parts';
import { composeWithFrozen } from '../src/model/keras/frozen';
import { identityMethod } from '../src/grow/methods/identity';
import { spreadPlan } from '../src/grow/planner';
import { saveModel } from '../src/model/io';
import { readModelArtifacts, loadArtifacts } from '../src/model/formats';
import { grow } from '../src/grow/run';

// Users' models, trained as a Keras user trains (model.fit on pixels / 255, stored by
// test/fixtures/user-models/make-fixtures.ts) and exported as the converter writes them; deepend's own `train`
// builds none of them.
let root: string;
let cnnDir: string;
let transferDir: string;
let cnnH5: string;
let blobsDir: string;
let blobsCsv: string;

/** These tests check formats, structure and refusals, not what a growth gains: 3,000 of the 10,000 digits will do. */
const DATA_LIMIT = '3000';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-import-'));
  const cnn = await trainedUserModel('digits_cnn');
  cnnDir = exportConverterDir(cnn, join(root, 'cnn'), 12 * 1024);
  cnnH5 = join(root, 'cnn.h5');
  await writeKeras2H5(cnnH5, cnn);
  const transfer = await trainedUserModel('transfer');
  transferDir = exportConverterDir(freezeBackbone(transfer), join(root, 'transfer'));
  blobsCsv = join(root, 'blobs.csv');
  writeBlobsCsv(blobsCsv);
  blobsDir = exportConverterDir(await blobsMlp(blobsCsv), join(root, 'blobs'));
});

after(() => rmSync(root, { recursive: true, force: true }));

// That they are trained shows in the tests below (the flat MLP: `deepend eval` above 80%).
test("the stored users' models are the builders' networks (rerun make-fixtures.ts after changing a builder)", async () => {
  for (const [name, { build }] of Object.entries(USER_MODEL_TRAINING)) {
    const stored = JSON.parse(readFileSync(join(USER_MODEL_FIXTURES, name, 'model.json'), 'utf8'));
    const built = build();
    assert.deepEqual(
      stored.modelTopology,
      built.toJSON(null, false),
      `${name}: the builder changed since make-fixtures.ts ran`,
    );
    built.dispose();
  }
});

test('inspect reads a converter export: format, producer, sites, depth, input scaling and what can grow', async () => {
  const r = await runCli(['inspect', cnnDir, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.format, 'tfjs-layers');
  assert.match(report.producer.convertedBy, /Converter/);
  assert.deepEqual(report.sites, ['conv2d', 'conv2d_1', 'dense']);
  assert.equal(report.depth, 3);
  assert.deepEqual(report.inputShape, [28, 28, 1]);
  assert.equal(report.inputContract.scale, 1 / 255);
  assert.deepEqual(report.output, { kind: 'softmax', values: 10, classOf: 'argmax', classes: 10 });
  assert.ok(report.methods.every((m: { ok: boolean }) => m.ok));
  const table = await runCli(['inspect', transferDir]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /frozen part\s+through 'backbone_flatten'/);
  assert.match(table.stdout, /output\s+10 classes, logits/);
});

test('identity insertion on an imported model: plain tfjs reloads it and it answers as the original (max |diff| < 1e-5)', async () => {
  const backend = await useTestBackend();
  for (const [dir, shape] of [
    [cnnDir, [28, 28, 1]],
    [transferDir, [28, 28]],
  ] as [string, number[]][]) {
    const { loaded } = await openModelWithData(dir, 'mnist', {}, backend);
    const { head, frozen } = growthParts(loaded);
    const plan = spreadPlan(loaded.meta.arch, loaded.meta.depth + 2);
    const init = await identityMethod.initialise({
      parent: head,
      parentSpec: loaded.meta.arch,
      plan,
      data: { train: {} as never, validation: {} as never },
      budget: { epochs: 1 },
      batchSize: 8,
      learningRate: 1e-3,
      seed: 1,
    });
    const whole = frozen ? await composeWithFrozen(frozen, init.model, loaded.model.name) : init.model;
    const out = join(root, `identity-${loaded.model.name}`);
    await saveModel(whole, { ...loaded.meta, arch: init.spec, depth: init.spec.blocks.length }, out);
    const original = await loadPlain(dir);
    const grown = await loadPlain(out);
    assert.equal(grown.layers.filter((l) => l.name.includes('_deepend_')).length > 0, true);
    const x = await digitsAsKerasInput(64, shape);
    const diff = maxDiff(original.predict(x) as tf.Tensor, grown.predict(x) as tf.Tensor);
    assert.ok(diff < 1e-5, `${dir}: max |difference| ${diff}`);
    tf.dispose([x]);
    [original, grown, whole, head, loaded.model].forEach((m) => {
      m.dispose();
    });
  }
});

test('grow dils with a frozen backbone and logits: a standard model, the backbone bit for bit, a .keras beside it', async () => {
  const out = join(root, 'grown-transfer');
  const r = await runCli([
    'grow',
    '--model',
    transferDir,
    '--data',
    'mnist',
    '--data-limit',
    DATA_LIMIT,
    '--to-depth',
    '2',
    '--method',
    'dils',
    '--budget-seconds',
    '2',
    '--out',
    out,
    '--format',
    'keras',
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.depthBefore, 1);
  assert.equal(report.depthAfter, 2);
  assert.ok(report.accuracyBefore > 0.5, `parent accuracy ${report.accuracyBefore}`);
  assert.ok(readdirSync(out).some((f) => /^group1-shard1of\d+\.bin$/.test(f)));
  for (const f of ['model.json', 'meta.json', 'report.json', 'learning-curve.svg', 'model.keras'])
    assert.ok(existsSync(join(out, f)), f);
  const original = await loadPlain(transferDir);
  const grown = await loadPlain(out);
  const kernel = (m: tfl.LayersModel) => m.getLayer('backbone_conv').getWeights()[0].dataSync();
  assert.deepEqual(Array.from(kernel(grown)), Array.from(kernel(original)), 'the frozen backbone changed');
  const keras = await loadArtifacts(await readModelArtifacts(join(out, 'model.keras')));
  const x = await digitsAsKerasInput(16, [28, 28]);
  assert.ok(
    maxDiff(keras.predict(x) as tf.Tensor, grown.predict(x) as tf.Tensor) < 1e-5,
    'model.keras answers differently',
  );
  const meta = JSON.parse(require('node:fs').readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.origin.format, 'tfjs-layers');
  assert.equal(meta.frozenThrough, 'backbone_flatten');
  assert.equal(meta.origin.depthAtImport, 1);
  // The grown directory is deepend's: growing it again needs no import flags and keeps the lineage.
  const again = await runCli([
    'grow',
    '--model',
    out,
    '--data',
    'mnist',
    '--data-limit',
    DATA_LIMIT,
    '--to-depth',
    '3',
    '--method',
    'identity',
    '--epochs',
    '1',
    '--out',
    join(root, 'grown-again'),
    '--json',
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).depthAfter, 3);
  [original, grown, keras].forEach((m) => {
    m.dispose();
  });
  x.dispose();
});

test('a Keras 2 .h5 file grows like its converter export', async () => {
  const out = join(root, 'grown-h5');
  const r = await runCli([
    'grow',
    '--model',
    cnnH5,
    '--data',
    'mnist',
    '--data-limit',
    DATA_LIMIT,
    '--to-depth',
    '4',
    '--method',
    'random',
    '--epochs',
    '1',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).depthAfter, 4);
  const meta = JSON.parse(require('node:fs').readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.origin.format, 'keras-h5');
});

test('ELU units and a one-unit sigmoid on CSV data: identity refuses with the reason, dils grows', async () => {
  const refused = await runCli([
    'grow',
    '--model',
    blobsDir,
    '--data',
    blobsCsv,
    '--to-depth',
    '2',
    '--method',
    'identity',
    '--epochs',
    '1',
    '--out',
    join(root, 'blobs-identity'),
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr.trim().split('\n').pop()!,
    /identity insertion is exact only after ReLU or ReLU6; the unit of dense ends in Dense \(elu\)/,
  );
  assert.equal(existsSync(join(root, 'blobs-identity')), false);
  const out = join(root, 'blobs-dils');
  const r = await runCli([
    'grow',
    '--model',
    blobsDir,
    '--data',
    blobsCsv,
    '--to-depth',
    '2',
    '--method',
    'dils',
    '--budget-seconds',
    '2',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.ok(report.accuracyBefore > 0.8, `parent accuracy ${report.accuracyBefore}`);
  const grown = await loadPlain(out);
  assert.deepEqual(grown.outputs[0].shape, [null, 1]);
  grown.dispose();
});

function copyDir(from: string, to: string): string {
  require('node:fs').cpSync(from, to, { recursive: true });
  return to;
}

test('bad input: one line naming the problem, a non-zero exit, nothing written and the model untouched', async () => {
  const truncated = copyDir(cnnDir, join(root, 'bad-truncated'));
  const shard = readdirSync(truncated).find((f) => f.endsWith('.bin'))!;
  truncateSync(join(truncated, shard), statSync(join(truncated, shard)).size - 7);
  const missing = copyDir(cnnDir, join(root, 'bad-missing'));
  rmSync(
    join(
      missing,
      readdirSync(missing)
        .filter((f) => f.endsWith('.bin'))
        .pop()!,
    ),
  );
  const unsupported = join(root, 'bad-unsupported');
  const up = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [28, 28, 1], name: 'c', activation: 'relu' }),
      tfl.layers.upSampling2d({ name: 'upsample' }),
      tfl.layers.flatten({ name: 'f' }),
      tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }),
    ],
  });
  exportConverterDir(up, unsupported);
  const branching = exportConverterDir(functionalModel(), join(root, 'bad-branching'));
  const wrongLabels = copyDir(cnnDir, join(root, 'bad-labels'));
  writeFileSync(join(wrongLabels, 'labels.txt'), 'a\nb\nc\n');
  const regression = exportConverterDir(
    tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 6, activation: 'relu', inputShape: [8], name: 'hidden' }),
        tfl.layers.dense({ units: 1, name: 'value' }),
      ],
    }),
    join(root, 'bad-regression'),
  );
  const cases: [string, string[], RegExp][] = [
    ['truncated shard', ['--model', truncated], /bytes|truncated|short/i],
    ['missing shard', ['--model', missing], /missing|not found|no such/i],
    ['unsupported layer', ['--model', unsupported], /layer 'upsample' \(UpSampling2D\) cannot be grown/],
    ['branching graph', ['--model', branching, '--data', blobsCsv], /joins 2 branches.*--freeze-through concat/],
    ['labels of the wrong length', ['--model', wrongLabels], /names 3 classes but the model outputs 10/],
    [
      'a regression',
      ['--model', regression, '--data', blobsCsv],
      /the output layer 'value' is one linear unit, and the file keeps no training loss: a regression/,
    ],
    // pixels / 255 twice over, as when the model already rescales and --input-scale 1/255 is given as well
    ['wrong input scale', ['--model', cnnDir, '--input-scale', '1/65025'], /near chance.*--input-scale/],
    ['permuted labels', ['--model', cnnDir, '--labels', '1,2,3,4,5,6,7,8,9,0'], /label order.*--labels/],
  ];
  for (const [what, args, expected] of cases) {
    const model = args[args.indexOf('--model') + 1];
    const before = snapshot(model);
    const out = join(root, `out-${what.replace(/ /g, '-')}`);
    const full = args.includes('--data') ? args : [...args, '--data', 'mnist'];
    const r = await runCli(['grow', ...full, '--to-depth', '5', '--method', 'dils', '--epochs', '1', '--out', out]);
    const lines = r.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('deepend'));
    assert.notEqual(r.code, 0, `${what}: exit 0: ${r.stdout.slice(0, 300)}`);
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0], expected, what);
    assert.equal(existsSync(out), false, `${what}: output written`);
    assert.deepEqual(snapshot(model), before, `${what}: the model changed`);
  }
});

test('every growth method and both baselines grow an imported model with a frozen part and logits', async () => {
  const backend = await useTestBackend();
  const { loaded, split } = await openModelWithData(transferDir, 'mnist', {}, backend);
  try {
    for (const method of ['dils', 'identity', 'morphism', 'lookahead', 'random', 'scratch', 'continue'] as const) {
      const { model, report } = await grow({
        parent: loaded,
        method,
        toDepth: 2,
        split,
        budget: { epochs: 1, init: { epochs: 1 } },
        backend,
      });
      assert.equal(report.depthAfter, method === 'continue' ? 1 : 2, method);
      // random and scratch start the chain (or a block of it) afresh: one epoch only has to lift them above chance
      const floor = method === 'random' || method === 'scratch' ? 0.2 : 0.5;
      assert.ok(report.accuracyAfter > floor, `${method}: ${report.accuracyAfter}`);
      if (method === 'identity' || method === 'morphism')
        assert.ok(
          Math.abs(report.accuracyAfterInsertion - report.accuracyBefore) < 0.002,
          `${method} changed the function`,
        );
      assert.deepEqual(
        Array.from(model.getLayer('backbone_conv').getWeights()[0].dataSync()),
        Array.from(loaded.model.getLayer('backbone_conv').getWeights()[0].dataSync()),
        `${method}: backbone changed`,
      );
      model.dispose();
    }
  } finally {
    loaded.model.dispose();
  }
});

test('an MLP on flattened pixels takes image data: square grey images, flattened', async () => {
  const mlp = await trainedUserModel('flat_mlp');
  const dir = exportConverterDir(mlp, join(root, 'flat-mlp'));
  const r = await runCli(['eval', '--model', dir, '--data', 'mnist', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(JSON.parse(r.stdout).accuracy > 0.8);
  const odd = exportConverterDir(
    tfl.sequential({
      layers: [tfl.layers.dense({ units: 10, activation: 'softmax', inputShape: [785], name: 'out' })],
    }),
    join(root, 'odd-mlp'),
  );
  const refused = await runCli(['eval', '--model', odd, '--data', 'mnist']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /the model takes 785 flat values, which are no square grey or RGB image/);
});

test('a chain with every supported layer kind: Rescaling means raw pixels, every site found, inexact identity named', async () => {
  const model = await trainedUserModel('every_layer');
  const dir = exportConverterDir(model, join(root, 'every-layer'));
  const inspected = await runCli(['inspect', dir, '--json']);
  assert.equal(inspected.code, 0, inspected.stderr);
  const report = JSON.parse(inspected.stdout);
  assert.deepEqual(report.sites, ['conv_a', 'conv_b', 'conv_c', 'dense_a', 'dense_b']);
  assert.equal(report.inputContract.scale, 1, 'the model rescales raw pixels itself');
  assert.deepEqual(report.output, { kind: 'softmax', values: 10, classOf: 'argmax', classes: 10 });
  const identity = report.methods.find((m: { method: string }) => m.method === 'identity');
  assert.match(identity.reason, /the unit of conv_c ends in PReLU/);
  const out = join(root, 'every-layer-grown');
  const r = await runCli([
    'grow',
    '--model',
    dir,
    '--data',
    'mnist',
    '--data-limit',
    DATA_LIMIT,
    '--to-depth',
    '7',
    '--method',
    'dils',
    '--epochs',
    '1',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const grown = JSON.parse(r.stdout);
  assert.equal(grown.depthAfter, 7);
  const plain = await loadPlain(out);
  const names = plain.layers.map((l) => l.name);
  // spread over five sites, two new blocks go after conv_b's and dense_a's units: after their activation layers, before pooling/dropout
  const after = (name: string) => names.slice(names.indexOf(name) - 1, names.indexOf(name) + 3);
  assert.deepEqual(
    after('conv2d_deepend_1'),
    ['act_b', 'conv2d_deepend_1', 'conv2d_deepend_1_act', 'max_pool'],
    names.join(', '),
  );
  assert.deepEqual(
    after('dense_deepend_2'),
    ['leaky_a', 'dense_deepend_2', 'dense_deepend_2_act', 'drop'],
    names.join(', '),
  );
  plain.dispose();
});

test('a model that begins with an Embedding is refused data that are not whole numbers in its range, naming the sample, before any growth', async () => {
  const model = tfl.sequential({
    name: 'codes',
    layers: [
      tfl.layers.embedding({ inputDim: 16, outputDim: 4, inputLength: 8, inputShape: [8], name: 'embedding' }),
      tfl.layers.flatten({ name: 'flatten' }),
      tfl.layers.dense({ units: 8, activation: 'relu', name: 'hidden' }),
      tfl.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }),
    ],
  });
  const dir = exportConverterDir(model, join(root, 'embedding'));
  model.dispose();
  const out = join(root, 'embedding-grown');
  const r = await runCli([
    'grow',
    '--model',
    dir,
    '--freeze-through',
    'embedding',
    '--data',
    blobsCsv,
    '--to-depth',
    '2',
    '--method',
    'dils',
    '--out',
    out,
  ]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(
    r.stderr.trim(),
    `deepend grow: ${blobsCsv}: sample 0 holds ${Number(Number(readCsvFirst(blobsCsv)).toPrecision(6))} where the model's Embedding 'embedding' takes whole numbers 0..15`,
  );
  assert.equal(existsSync(out), false);
});

/** The first feature of the first row of a CSV with a header. */
function readCsvFirst(csv: string): string {
  return readFileSync(csv, 'utf8').split('\n')[1].split(',')[0];
}

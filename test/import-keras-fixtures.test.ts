// Real Keras 3 models (test/fixtures/keras/make_fixtures.py) grown as their users have them. The transfer-learning
// one: a backbone model called as a layer and frozen, a head with swish (saved as "silu"); its grown model.keras is
// grown again
// (DILS: identity insertion is exact only after ReLU, and the head's unit ends in swish).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { REPO, runCli } from './helpers/cli';
import { sha256File } from './helpers/store-fixtures';

const FIXTURES = join(REPO, 'test', 'fixtures', 'keras');

interface KerasLayerJson {
  class_name: string;
  config: Record<string, unknown>;
}

/** The layers of a TF.js model.json's graph (a nested model as one layer). */
function layersOf(dir: string): KerasLayerJson[] {
  const topology = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).modelTopology;
  return (topology.model_config?.config ?? topology.config).layers;
}

/** The layer names of a TF.js model.json's graph (a nested model's name, not its inner layers). */
function layerNames(dir: string): string[] {
  return layersOf(dir).map((l) => String(l.config.name));
}

/** config.json of a .keras archive. */
function kerasConfig(file: string): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(unzipSync(readFileSync(file))['config.json']));
}

/** A copy of a .keras archive with another config.json. */
function writeKerasConfig(file: string, config: Record<string, unknown>, to: string): void {
  const entries = unzipSync(readFileSync(file));
  writeFileSync(to, zipSync({ ...entries, 'config.json': strToU8(JSON.stringify(config)) }));
}

async function grow(model: string, toDepth: number, out: string, data = 'mnist') {
  const r = await runCli([
    'grow',
    '--model',
    model,
    '--data',
    data,
    '--data-limit',
    '1500',
    '--to-depth',
    String(toDepth),
    '--method',
    'dils',
    '--epochs',
    '1',
    '--format',
    'keras',
    '--out',
    out,
    '--json',
  ]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    depthBefore: number;
    depthAfter: number;
    accuracyBefore: number;
    accuracyAfter: number;
    lossBefore: number;
  };
}

for (const file of ['transfer.keras', 'transfer.h5']) {
  test(`${file}: the nested backbone is the frozen part; the grown model.keras, read without its meta.json, grows again`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-transfer-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const before = sha256File(source);
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /frozen part {2}through 'backbone' \(backbone is a nested model/);
    assert.match(inspect.stdout, /depth {8}1 \(sites: features\)/);

    const first = await grow(source, 2, join(root, 'once'));
    assert.deepEqual([first.depthBefore, first.depthAfter], [1, 2]);
    assert.ok(first.accuracyBefore > 0.5, `the fixture's accuracy on the digits: ${first.accuracyBefore}`);
    assert.equal(sha256File(source), before, 'the user model changed');

    // the model.keras deepend wrote is a user's model now: no meta.json beside it
    const second = await grow(join(root, 'once', 'model.keras'), 3, join(root, 'twice'));
    assert.deepEqual([second.depthBefore, second.depthAfter], [2, 3]);
    const names = layerNames(join(root, 'twice'));
    assert.deepEqual(
      names.filter((n) => n.includes('_deepend_')),
      ['dense_deepend_1', 'dense_deepend_2'],
      names.join(', '),
    );
    assert.equal(new Set(names).size, names.length, `a layer name twice: ${names.join(', ')}`);
  });
}

for (const file of ['tabular.keras', 'tabular.h5']) {
  test(`${file}: an adapted Normalization becomes a frozen Dense computing the same; the grown model.keras holds no Normalization`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-tabular-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /frozen part {2}through 'normalization'/);
    assert.match(inspect.stdout, /depth {8}1 \(sites: hidden\)/);
    const grown = await grow(source, 2, join(root, 'grown'), join(FIXTURES, 'tabular.csv'));
    assert.deepEqual([grown.depthBefore, grown.depthAfter], [1, 2]);
    assert.ok(grown.accuracyBefore > 0.6, `the fixture's accuracy on its CSV: ${grown.accuracyBefore}`);
    const topology = readFileSync(join(root, 'grown', 'model.json'), 'utf8');
    assert.ok(!topology.includes('"Normalization"'), 'a Normalization class in the grown model');
    const again = await runCli(['inspect', join(root, 'grown', 'model.keras')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /depth {8}2 \(sites: hidden, dense_deepend_1\)/);
  });
}

test('--input-mean/--input-std take one value per feature of a CSV model (one value goes with every feature); another count is refused naming the features', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'deepend-keras-features-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const args = (mean: string, out: string) => [
    'grow',
    '--model',
    join(FIXTURES, 'tabular.keras'),
    '--data',
    join(FIXTURES, 'tabular.csv'),
    '--to-depth',
    '2',
    '--method',
    'dils',
    '--epochs',
    '1',
    '--input-mean',
    mean,
    '--input-std',
    '2',
    '--out',
    join(root, out),
  ];
  const five = await runCli(args('0,0,0,0,0', 'five'));
  assert.notEqual(five.code, 0);
  assert.match(five.stderr, /--input-mean\/--input-std give 5 values; the model's input has 6 feature\(s\)/);
  const six = await runCli(args('0,0,0,0,0,0', 'six'));
  assert.equal(six.code, 0, six.stderr);
  const meta = JSON.parse(readFileSync(join(root, 'six', 'meta.json'), 'utf8'));
  assert.deepEqual(meta.inputContract.mean, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(meta.inputContract.std, [2, 2, 2, 2, 2, 2], 'one --input-std for every feature');
});

test('an LSTM model (frozen through its LSTM) is read without a word on stderr: the Orthogonal warning of tfjs-layers is not shown', async () => {
  const r = await runCli(['inspect', join(FIXTURES, 'sequence.keras'), '--freeze-through', 'lstm']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /frozen part {2}through 'lstm'/);
});

for (const file of ['binary.keras', 'binary.h5']) {
  test(`${file}: one raw score for two classes (BinaryCrossentropy(from_logits=True)) grows as a classifier; the .keras's grown model.keras names that loss and grows again, and without the loss is refused as a regression`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-binary-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const data = join(FIXTURES, 'binary.csv');
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /output {7}2 classes from one raw score \(logit: class 1 when above 0\)/);
    const grown = await grow(source, 3, join(root, 'grown'), data);
    assert.deepEqual([grown.depthBefore, grown.depthAfter], [2, 3]);
    // Keras's own accuracy on the whole CSV is 93.7% and its binary cross-entropy from logits 0.133 (0.119 on the
    // held-out part); the scores taken as sigmoid probabilities (clipped to 0..1) give 0.33 there
    assert.ok(grown.accuracyBefore > 0.9, `the fixture's held-out accuracy: ${grown.accuracyBefore}`);
    assert.ok(grown.lossBefore < 0.2, `the fixture's held-out loss: ${grown.lossBefore}`);
    assert.ok(grown.accuracyAfter > 0.9, `held-out accuracy after growing: ${grown.accuracyAfter}`);
    const meta = JSON.parse(readFileSync(join(root, 'grown', 'meta.json'), 'utf8'));
    assert.deepEqual([meta.arch.output, meta.arch.classes, meta.labels], ['logits', 2, ['no', 'yes']]);
    const config = kerasConfig(join(root, 'grown', 'model.keras'));
    assert.deepEqual(config.compile_config, {
      loss: {
        module: 'keras.losses',
        class_name: 'BinaryCrossentropy',
        config: { name: 'binary_crossentropy', from_logits: true },
        registered_name: null,
      },
    });
    if (file.endsWith('.h5')) return; // what follows reads the grown model.keras, the same from either file
    // the grown model.json alone, away from meta.json, names its loss too
    const plain = join(root, 'plain');
    mkdirSync(plain);
    for (const f of readdirSync(join(root, 'grown')).filter((f) => f === 'model.json' || f.endsWith('.bin')))
      copyFileSync(join(root, 'grown', f), join(plain, f));
    const fromJson = await runCli(['inspect', plain, '--json']);
    assert.equal(fromJson.code, 0, fromJson.stderr);
    assert.deepEqual(JSON.parse(fromJson.stdout).output, {
      kind: 'logits',
      values: 1,
      classOf: 'above 0',
      classes: 2,
    });
    const again = await grow(join(root, 'grown', 'model.keras'), 4, join(root, 'again'), data);
    assert.deepEqual([again.depthBefore, again.depthAfter], [3, 4]);

    // the same file without its compile_config: nothing says the score is a logit
    const bare = join(root, 'bare.keras');
    const { compile_config: _, ...uncompiled } = config;
    writeKerasConfig(join(root, 'grown', 'model.keras'), uncompiled, bare);
    const refused = await runCli(['inspect', bare]);
    assert.match(
      refused.stdout,
      /the output layer 'score' is one linear unit, and the file keeps no training loss: a regression, which deepend does not grow/,
    );
  });
}

for (const file of ['augmented.keras', 'augmented.h5']) {
  test(`${file}: the image-classification tutorial's augmentation Sequential is a frozen identity, its Rescaling takes raw pixels, and the .keras grows to a model of standard layers`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-augmented-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /fed as pixels \(raw pixels 0\.\.255: the model scales them itself \(Rescaling layer/);
    assert.match(
      inspect.stdout,
      /frozen part {2}through 'data_augmentation' \(data_augmentation is a nested model that passes its input through at inference/,
    );
    assert.match(inspect.stdout, /depth {8}3 \(sites: conv2d, conv2d_1, dense\)/);
    // once read, growth is the same for either file: the .h5 is read and analysed, the .keras grown too
    if (file.endsWith('.h5')) return;
    const grown = await grow(source, 4, join(root, 'grown'));
    assert.deepEqual([grown.depthBefore, grown.depthAfter], [3, 4]);
    // trained by make_fixtures.py on digits given as raw pixels: far above chance only when fed them so
    assert.ok(grown.accuracyBefore > 0.7, `the fixture's held-out accuracy: ${grown.accuracyBefore}`);
    // the five augmentation layers are saved as what they are at inference: linear Activations
    const augmentation = layersOf(join(root, 'grown')).find((l) => l.config.name === 'data_augmentation');
    assert.ok(augmentation, 'no data_augmentation in the grown model.json');
    assert.deepEqual(
      (augmentation.config.layers as KerasLayerJson[])
        .filter((l) => l.class_name !== 'InputLayer')
        .map((l) => `${l.class_name} ${l.config.activation}`),
      Array(5).fill('Activation linear'),
    );
    const again = await runCli(['inspect', join(root, 'grown', 'model.keras')]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /depth {8}4 \(sites: conv2d, conv2d_1, conv2d_deepend_1, dense\)/);
  });
}

for (const file of ['preprocessed.keras', 'preprocessed.h5']) {
  test(`${file}: the transfer-learning tutorial's preprocess_input (x / 127.5 - 1, saved as operation layers) is read as Rescaling, so the model takes raw pixels, and the .keras's head grows`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-preprocessed-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(
      inspect.stdout,
      /fed as pixels \(raw pixels 0\.\.255: the model scales them itself \(Rescaling layer 'true_divide'\)\)/,
    );
    assert.match(inspect.stdout, /frozen part {2}through 'backbone'/);
    // once read, growth is the same for either file: the .h5 is read and analysed, the .keras grown too
    if (file.endsWith('.h5')) return;
    const grown = await grow(source, 2, join(root, 'grown'));
    assert.deepEqual([grown.depthBefore, grown.depthAfter], [1, 2]);
    assert.ok(grown.accuracyBefore > 0.7, `the fixture's held-out accuracy: ${grown.accuracyBefore}`);
    // x / 127.5 - 1 is saved as two Rescalings of the same names
    const scalings = layersOf(join(root, 'grown'))
      .filter((l) => l.class_name === 'Rescaling')
      .map((l) => [l.config.name, Number(l.config.scale).toPrecision(6), l.config.offset]);
    assert.deepEqual(scalings, [
      ['true_divide', (1 / 127.5).toPrecision(6), 0],
      ['subtract', '1.00000', -1],
    ]);
  });
}

for (const file of ['head_only.keras', 'head_only.h5']) {
  test(`${file}: the transfer-learning tutorial's head with no hidden layer (pooling, Dropout, the output Dense) first gets one, and grows`, async (t) => {
    const root = mkdtempSync(join(tmpdir(), 'deepend-keras-head-only-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    const source = join(FIXTURES, file);
    const inspect = await runCli(['inspect', source]);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /depth {8}0 \(no hidden layer: growth first adds one before 'scores'\)/);
    assert.match(inspect.stdout, /growable {5}yes/);
    if (file.endsWith('.h5')) return;
    const grown = await grow(source, 2, join(root, 'grown'));
    assert.deepEqual([grown.depthBefore, grown.depthAfter], [0, 2]);
    // Keras's own accuracy on digits it was not trained on is 94.3%
    assert.ok(grown.accuracyBefore > 0.85, `the fixture's held-out accuracy: ${grown.accuracyBefore}`);
    assert.deepEqual(layerNames(join(root, 'grown')), [
      'image',
      'backbone',
      'pool',
      'dropout',
      'dense_deepend_1',
      'dense_deepend_2',
      'scores',
    ]);
    const again = await runCli(['inspect', join(root, 'grown', 'model.keras')]);
    assert.match(again.stdout, /depth {8}2 \(sites: dense_deepend_1, dense_deepend_2\)/);
  });
}

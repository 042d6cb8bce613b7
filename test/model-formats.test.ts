import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { loadArtifacts, readModelArtifacts } from '../src/model/formats';
import { artifactsOf, modelFromTopology } from '../src/model/formats/tfjs-model';
import { foldNormalization } from '../src/model/formats/normalization-fold';
import { normaliseTopology } from '../src/model/formats/keras-config';
import { maxAbsDiff, MODELS, randomiseWeights, sampleInput } from './helpers/format-models';
import { Quantize, weightsOf, writeConverterDir } from './helpers/converter-layout';
import { converterWeights, KERAS3_CNN, KERAS3_NESTED } from './helpers/keras3-fixtures';
import { writeKeras2H5, writeKeras3Archive } from './helpers/keras-files';
import { snapshot } from './helpers/dir-snapshot';

let root: string;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-formats-'));
});

after(() => rmSync(root, { recursive: true, force: true }));

/** Reads `path`, loads what it gives and returns the largest prediction difference to `reference`. */
async function readAndCompare(reference: tfl.LayersModel, path: string) {
  const artifacts = await readModelArtifacts(path);
  const loaded = await loadArtifacts(artifacts);
  const x = sampleInput(reference);
  const diff = maxAbsDiff(reference, loaded, x);
  x.dispose();
  loaded.dispose();
  return { artifacts, diff };
}

function topology(model: tfl.LayersModel): object {
  return model.toJSON(null, false) as object;
}

test('converter directories (2 weight groups, 300-byte shards, weights spanning shards) read to the same predictions', async () => {
  for (const [name, build] of Object.entries(MODELS)) {
    const model = randomiseWeights(build());
    const dir = join(root, `tfjs-${name}`);
    const written = writeConverterDir(dir, topology(model), weightsOf(model), { shardBytes: 300, groups: 2 });
    assert.ok(
      written.spansShards && written.shardFiles.length >= 3,
      `${name}: the fixture should cut weights across shards`,
    );
    const before = snapshot(dir);
    const { artifacts, diff } = await readAndCompare(model, dir);
    assert.ok(diff < 1e-5, `${name}: max |diff| ${diff}`);
    assert.equal(artifacts.format, 'tfjs-layers');
    assert.equal(artifacts.source, dir);
    assert.deepEqual(artifacts.producer, {
      generatedBy: 'keras v2.15.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      kerasVersion: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    });
    assert.ok(artifacts.weightSpecs.every((s) => s.dtype === 'float32' && !s.quantization));
    assert.deepEqual(snapshot(dir), before, `${name}: the user's directory changed`);
    model.dispose();
  }
});

test('the model.json path itself reads like its directory', async () => {
  const model = randomiseWeights(MODELS.mlp());
  const dir = join(root, 'by-file');
  writeConverterDir(dir, topology(model), weightsOf(model), { shardBytes: 4096 });
  const { diff } = await readAndCompare(model, join(dir, 'model.json'));
  assert.ok(diff < 1e-5);
});

function quantizedFiles(dir: string) {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const specs = json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights);
  const data = Buffer.concat(
    json.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dir, p)))),
  );
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData: new Uint8Array(data).buffer };
}

test('uint8, uint16 and float16 quantized weights are dequantized within the step, exactly as tfjs-core does', async () => {
  const model = randomiseWeights(MODELS.cnn());
  const original = new Map(weightsOf(model).map((w) => [w.name, w.values]));
  for (const quantize of ['uint8', 'uint16', 'float16'] as Quantize[]) {
    const dir = join(root, `quantized-${quantize}`);
    const written = writeConverterDir(dir, topology(model), weightsOf(model), { shardBytes: 700, groups: 2, quantize });
    const artifacts = await readModelArtifacts(dir);
    assert.ok(
      artifacts.weightSpecs.every((s) => s.dtype === 'float32' && !s.quantization),
      `${quantize}: specs still quantized`,
    );
    const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    for (const [name, values] of original) {
      const got = decoded[name].dataSync();
      const step = written.steps.get(name) as number;
      const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
      assert.ok(worst <= step / 2 + 1e-6, `${quantize} ${name}: error ${worst} above half the step ${step}`);
    }
    tf.dispose(decoded);
    // tfjs-core dequantizes the same files itself: the predictions must agree.
    const byTfjs = await tfl.loadLayersModel(tf.io.fromMemory(quantizedFiles(dir)));
    const ours = await loadArtifacts(artifacts);
    const x = sampleInput(model);
    const diff = maxAbsDiff(byTfjs, ours, x);
    assert.ok(diff < 1e-5, `${quantize}: differs from tfjs-core's dequantization by ${diff}`);
    x.dispose();
    byTfjs.dispose();
    ours.dispose();
  }
  model.dispose();
});

test('a converter 1.x directory: no format key, Keras full topology, Sequential config as a list, batch_input_shape on the first layer', async () => {
  const model = randomiseWeights(MODELS.mlp());
  const layers = (topology(model) as { config: { layers: unknown[] } }).config.layers;
  const keras = {
    keras_version: '2.1.6',
    backend: 'tensorflow',
    model_config: { class_name: 'Sequential', config: layers },
    training_config: { loss: 'mse' },
  };
  const dir = join(root, 'converter-1x');
  writeConverterDir(dir, keras, weightsOf(model), {
    shardBytes: 512,
    format: null,
    generatedBy: 'keras v2.1.6',
    convertedBy: 'TensorFlow.js Converter v1.0.1',
  });
  const { artifacts, diff } = await readAndCompare(model, dir);
  assert.ok(diff < 1e-5, `max |diff| ${diff}`);
  assert.equal(artifacts.producer.kerasVersion, '2.1.6');
  assert.equal(artifacts.producer.convertedBy, 'TensorFlow.js Converter v1.0.1');
});

test('a Sequential built with model.build(): no input layer, its shape only in build_input_shape', async () => {
  const model = randomiseWeights(MODELS.mlp());
  const keras = topology(model) as {
    config: { layers: { config: Record<string, unknown> }[]; build_input_shape?: unknown };
  };
  delete keras.config.layers[0].config.batch_input_shape;
  keras.config.build_input_shape = [null, 8];
  const dir = join(root, 'built');
  writeConverterDir(dir, keras, weightsOf(model), { shardBytes: 4096 });
  const { diff } = await readAndCompare(model, dir);
  assert.ok(diff < 1e-5, `max |diff| ${diff}`);
});

test('Keras 3 configurations (batch_shape, DTypePolicy, module/registered_name, Keras 3 nodes, name-prefixed weights) read from a converter directory', async () => {
  for (const fixture of [KERAS3_CNN, KERAS3_NESTED]) {
    const reference = randomiseWeights(fixture.reference());
    const dir = join(root, fixture.name);
    writeConverterDir(dir, fixture.config, converterWeights(fixture, reference), {
      shardBytes: 2048,
      generatedBy: 'keras v3.3.3',
    });
    const { artifacts, diff } = await readAndCompare(reference, dir);
    assert.ok(diff < 1e-5, `${fixture.name}: max |diff| ${diff}`);
    const text = JSON.stringify(artifacts.modelTopology);
    for (const keras3Only of ['"module"', '"registered_name"', 'batch_shape', 'DTypePolicy', '__keras_tensor__']) {
      assert.ok(!text.includes(keras3Only), `${fixture.name}: ${keras3Only} left in the topology`);
    }
    reference.dispose();
  }
});

test('Keras 2 .h5 files (model.save) read to the same predictions, the nested model included', async () => {
  for (const [name, build] of Object.entries(MODELS)) {
    const model = randomiseWeights(build());
    const dir = join(root, `h5-${name}`);
    mkdirSync(dir);
    const file = join(dir, `${name}.h5`);
    await writeKeras2H5(file, model);
    const before = snapshot(dir);
    const { artifacts, diff } = await readAndCompare(model, file);
    assert.ok(diff < 1e-5, `${name}: max |diff| ${diff}`);
    assert.equal(artifacts.format, 'keras-h5');
    assert.deepEqual(artifacts.producer, { kerasVersion: '2.15.0', backend: 'tensorflow' });
    assert.deepEqual(snapshot(dir), before);
    model.dispose();
  }
});

test('Keras 3 .keras archives read to the same predictions (variables found by class path, not layer name); also the Keras 2.13-2.15 layout', async () => {
  const cases = [
    { fixture: KERAS3_CNN, legacy: false },
    { fixture: KERAS3_NESTED, legacy: false },
    { fixture: KERAS3_CNN, legacy: true },
  ];
  for (const { fixture, legacy } of cases) {
    const reference = randomiseWeights(fixture.reference());
    const file = join(root, `${fixture.name}${legacy ? '-legacy' : ''}.keras`);
    await writeKeras3Archive(file, fixture, reference, legacy);
    const { artifacts, diff } = await readAndCompare(reference, file);
    assert.ok(diff < 1e-5, `${fixture.name}${legacy ? ' (legacy)' : ''}: max |diff| ${diff}`);
    assert.equal(artifacts.format, 'keras-v3');
    assert.equal(artifacts.producer.kerasVersion, legacy ? '2.15.0' : '3.3.3');
    reference.dispose();
  }
});

test('labels beside the model: labels.txt in the directory, or metadata.json {labels} beside a file', async () => {
  const model = randomiseWeights(MODELS.mlp());
  const dir = join(root, 'labelled');
  writeConverterDir(dir, topology(model), weightsOf(model), { shardBytes: 4096 });
  writeFileSync(join(dir, 'labels.txt'), 'cat\ndog\r\nbird\nfish\n\n');
  assert.deepEqual((await readModelArtifacts(dir)).labels, ['cat', 'dog', 'bird', 'fish']);

  const h5Dir = join(root, 'labelled-h5');
  mkdirSync(h5Dir);
  await writeKeras2H5(join(h5Dir, 'model.h5'), model);
  writeFileSync(join(h5Dir, 'metadata.json'), JSON.stringify({ tfjsVersion: '1.3.1', labels: ['a', 'b', 'c', 'd'] }));
  assert.deepEqual((await readModelArtifacts(join(h5Dir, 'model.h5'))).labels, ['a', 'b', 'c', 'd']);

  const plain = await readModelArtifacts(join(root, 'by-file'));
  assert.equal(plain.labels, undefined);
  model.dispose();
});

test("real Keras 3.15.1 files (.keras and legacy .h5; PReLU, DepthwiseConv2D, LeakyReLU, Add, a nested Sequential, a built Sequential, a frozen backbone model called as a layer, swish saved as silu, an adapted Normalization, an LSTM, one raw score for two classes, augmentation layers in a nested Sequential, preprocess_input as operation layers, a head with no hidden layer) give Keras's own predictions, and the loss they were compiled with", async () => {
  const fixtures = join(__dirname, '..', '..', 'test', 'fixtures', 'keras');
  const expected = JSON.parse(readFileSync(join(fixtures, 'expected.json'), 'utf8'));
  const losses: Record<string, unknown> = {
    transfer: { name: 'sparse_categorical_crossentropy', fromLogits: false },
    tabular: { name: 'sparse_categorical_crossentropy', fromLogits: false },
    binary: { name: 'binary_crossentropy', fromLogits: true },
    augmented: { name: 'sparse_categorical_crossentropy', fromLogits: true },
    preprocessed: { name: 'sparse_categorical_crossentropy', fromLogits: true },
    head_only: { name: 'sparse_categorical_crossentropy', fromLogits: true },
  };
  const names = [
    'cnn',
    'functional',
    'built',
    'transfer',
    'tabular',
    'sequence',
    'binary',
    'augmented',
    'preprocessed',
    'head_only',
  ];
  for (const name of names) {
    const { x, y, input_shape: shape } = expected.models[name] as { x: number[]; y: number[]; input_shape: number[] };
    for (const file of [`${name}.keras`, `${name}.h5`]) {
      const artifacts = await readModelArtifacts(join(fixtures, file));
      assert.equal(artifacts.producer.kerasVersion, expected.keras_version);
      assert.deepEqual(artifacts.loss, losses[name], `${file}: its training loss`);
      const model = await loadArtifacts(artifacts);
      const input = tf.tensor(x, shape);
      const got = (model.predict(input) as tf.Tensor).dataSync();
      const worst = y.reduce((m, v, i) => Math.max(m, Math.abs(v - got[i])), 0);
      assert.ok(worst < 1e-5, `${file}: differs from Keras by ${worst}`);
      input.dispose();
      model.dispose();
    }
  }
});

test("Keras's augmentation layers are read as the identity they are at inference (a linear Activation of the same name); RandomCrop, which crops, is not", async () => {
  const augmentation = [
    'RandomFlip',
    'RandomRotation',
    'RandomZoom',
    'RandomTranslation',
    'RandomContrast',
    'RandomBrightness',
  ];
  const topology = (classes: string[]) => ({
    class_name: 'Sequential',
    config: {
      name: 'augmented',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 4, 4, 1] } },
        ...classes.map((c, i) => ({
          module: 'keras.layers',
          class_name: c,
          config: { name: `aug_${i}`, factor: 0.1, seed: 3, value_range: [0, 255], data_format: 'channels_last' },
          registered_name: null,
        })),
        { class_name: 'Flatten', config: { name: 'flat' } },
      ],
    },
  });
  const normalised = normaliseTopology(topology(augmentation), 'm.keras') as {
    config: { layers: { class_name: string; config: Record<string, unknown> }[] };
  };
  assert.deepEqual(
    normalised.config.layers.slice(1, -1).map((l) => [l.class_name, l.config]),
    augmentation.map((_, i) => ['Activation', { name: `aug_${i}`, activation: 'linear' }]),
  );
  const model = await modelFromTopology(normalised, 'm.keras');
  const x = tf.randomUniform([2, 4, 4, 1], 0, 255);
  const y = model.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()), 'the identity');
  tf.dispose([x, y]);
  model.dispose();
  await assert.rejects(
    modelFromTopology(normaliseTopology(topology(['RandomCrop']), 'm.keras'), 'm.keras'),
    /Unknown layer: RandomCrop/,
  );
});

test("a tensor divided, multiplied, added or subtracted by a number (Keras 3's operation layers, Keras 2's TFOpLambda) is a Rescaling; the merge layers of the same names, and a number divided by a tensor, are not", async () => {
  const tensor = (layer: string) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, 3], dtype: 'float32', keras_history: [layer, 0, 0] },
  });
  const keras3 = (className: string, args: unknown[], from: string) => ({
    class_name: className,
    config: { name: `${className.toLowerCase()}_${from}` },
    name: `${className.toLowerCase()}_${from}`,
    inbound_nodes: [{ args, kwargs: {} }],
  });
  const functional = (layers: Record<string, unknown>[], last: string) => ({
    class_name: 'Functional',
    config: {
      name: 'ops',
      layers: [
        { class_name: 'InputLayer', config: { name: 'in', batch_shape: [null, 3] }, name: 'in', inbound_nodes: [] },
        ...layers,
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [[last, 0, 0]],
    },
  });
  const model = await modelFromTopology(
    normaliseTopology(
      functional(
        [
          keras3('TrueDivide', [tensor('in'), 127.5], 'a'),
          keras3('Subtract', [tensor('truedivide_a'), 1], 'b'),
          keras3('Multiply', [4, tensor('subtract_b')], 'c'),
          keras3('Add', [tensor('multiply_c'), 0.5], 'd'),
        ],
        'add_d',
      ),
      'ops.keras',
    ),
    'ops.keras',
  );
  const x = tf.tensor2d([[0, 127.5, 255]]);
  const y = model.predict(x) as tf.Tensor;
  // ((x / 127.5) - 1) * 4 + 0.5
  assert.deepEqual(Array.from(y.dataSync()), [-3.5, 0.5, 4.5]);
  tf.dispose([x, y]);
  model.dispose();

  // Keras 2 (tf.keras) writes `x / 127.5 - 1` as TFOpLambda layers whose node passes the number as y
  const tfOp = (name: string, fn: string, from: string, y: number) => ({
    class_name: 'TFOpLambda',
    config: { name, trainable: true, dtype: 'float32', function: fn },
    name,
    inbound_nodes: [[from, 0, 0, { y, name: null }]],
  });
  const keras2 = {
    class_name: 'Functional',
    config: {
      name: 'ops2',
      layers: [
        {
          class_name: 'InputLayer',
          config: { name: 'in', batch_input_shape: [null, 3] },
          name: 'in',
          inbound_nodes: [],
        },
        tfOp('tf.math.truediv', 'math.truediv', 'in', 127.5),
        tfOp('tf.math.subtract', 'math.subtract', 'tf.math.truediv', 1),
        tfOp('tf.__operators__.add', '__operators__.add', 'tf.math.subtract', 2),
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['tf.__operators__.add', 0, 0]],
    },
  };
  const fromKeras2 = await modelFromTopology(normaliseTopology(keras2, 'm.h5'), 'm.h5');
  const x2 = tf.tensor2d([[0, 127.5, 255]]);
  const y2 = fromKeras2.predict(x2) as tf.Tensor;
  assert.deepEqual(Array.from(y2.dataSync()), [1, 2, 3]);
  tf.dispose([x2, y2]);
  fromKeras2.dispose();

  // the merge layer Subtract (two tensors) stays what it is; 1 / x is not a Rescaling and stays unknown to tfjs
  const merge = normaliseTopology(
    functional([keras3('Subtract', [[tensor('in'), tensor('in')]], 'm')], 'subtract_m'),
    'm.keras',
  ) as { config: { layers: { class_name: string }[] } };
  assert.equal(merge.config.layers[1].class_name, 'Subtract');
  await assert.rejects(
    modelFromTopology(
      normaliseTopology(functional([keras3('TrueDivide', [1, tensor('in')], 'r')], 'truedivide_r'), 'r.keras'),
      'r.keras',
    ),
    /Unknown layer: TrueDivide/,
  );
});

test('a layer tfjs-layers does not know is named in one line, without the list of reasons TF.js appends', async () => {
  const topology = {
    class_name: 'Sequential',
    config: {
      name: 'custom',
      layers: [{ class_name: 'ScaledDense', config: { name: 'mine', units: 2, batch_input_shape: [null, 3] } }],
    },
  };
  await assert.rejects(
    modelFromTopology(topology, 'model.keras'),
    (err: Error) =>
      err.message ===
      'model.keras: TF.js could not build the model from its configuration (Unknown layer: ScaledDense)',
  );
});

test('Normalization with mean and variance in its config folds into a Dense computing (x - mean) / sqrt(variance); images, another axis or invert are refused in one line', async () => {
  const topology = (shape: (number | null)[], extra: object = {}) => ({
    class_name: 'Sequential',
    config: {
      name: 'n',
      layers: [
        {
          class_name: 'Normalization',
          config: { name: 'norm', batch_input_shape: shape, axis: -1, mean: 0.5, variance: 4, ...extra },
        },
      ],
    },
  });
  const flat = await modelFromTopology(topology([null, 3]), 'm.keras');
  const folded = await loadArtifacts(foldNormalization(flat, await artifactsOf(flat), 'm.keras'));
  assert.equal(folded.layers.at(-1)!.getClassName(), 'Dense');
  assert.equal(folded.layers.at(-1)!.trainable, false);
  const x = tf.tensor([[0.5, 2.5, -1.5]]);
  const y = folded.predict(x) as tf.Tensor;
  assert.deepEqual(Array.from(y.dataSync()), [0, 1, -1]);
  tf.dispose([x, y]);
  flat.dispose();
  folded.dispose();
  const refusals: [(number | null)[], object, RegExp][] = [
    [
      [null, 4, 4, 1],
      {},
      /layer 'norm' \(Normalization\) normalises a \[4, 4, 1\] input; deepend reads Normalization over the features of a flat input only/,
    ],
    [
      [null, 3],
      { axis: 0 },
      /layer 'norm' \(Normalization\) normalises over axis 0; deepend reads it over the last axis only/,
    ],
    [[null, 3], { invert: true }, /layer 'norm' \(Normalization\) is inverted/],
  ];
  for (const [shape, extra, expected] of refusals) {
    const model = await modelFromTopology(topology(shape, extra), 'm.keras');
    const artifacts = await artifactsOf(model);
    assert.throws(
      () => foldNormalization(model, artifacts, 'm.keras'),
      (err: Error) => expected.test(err.message) && !err.message.includes('\n'),
    );
    model.dispose();
  }
});

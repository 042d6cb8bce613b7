import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { artifactsOf, kerasFileBytes, layersModelFiles, loadArtifacts, readModelArtifacts } from '../src/model/formats';
import { maxAbsDiff, MODELS, randomiseWeights, sampleInput } from './helpers/format-models';
import { familySpec } from '../src/model/families';
import { buildModel } from '../src/model/build';
import { Family } from '../src/model/arch';

let root: string;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-formats-write-'));
});

after(() => rmSync(root, { recursive: true, force: true }));

type Obj = Record<string, unknown>;

test('layersModelFiles writes the converter layout that plain tf.loadLayersModel reads', async () => {
  for (const [name, build] of Object.entries(MODELS)) {
    const model = randomiseWeights(build());
    const files = layersModelFiles(await artifactsOf(model), { shardBytes: 1024 });
    const json = JSON.parse(Buffer.from(files['model.json']).toString('utf8'));
    assert.equal(json.format, 'layers-model');
    assert.match(json.generatedBy, /^TensorFlow\.js tfjs-layers v4\.22\.0$/);
    assert.match(json.convertedBy, /^deepend \d+\.\d+\.\d+$/);
    assert.equal(json.weightsManifest.length, 1);
    const paths: string[] = json.weightsManifest[0].paths;
    assert.deepEqual(Object.keys(files).sort(), ['model.json', ...paths].sort());
    paths.forEach((p, i) => {
      assert.equal(p, `group1-shard${i + 1}of${paths.length}.bin`);
      assert.ok(files[p].byteLength <= 1024 && files[p].byteLength > 0);
    });
    // A handler built from the files alone, as tf.loadLayersModel('file://...') would read them.
    const weightData = new Uint8Array(Buffer.concat(paths.map((p) => files[p]))).buffer;
    const plain = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }),
    );
    const x = sampleInput(model);
    assert.equal(maxAbsDiff(model, plain, x), 0, `${name}: plain tfjs predictions differ`);
    // On disk, deepend's own reader reads the same.
    const dir = join(root, `written-${name}`);
    mkdirSync(dir);
    for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
    const back = await loadArtifacts(await readModelArtifacts(dir));
    assert.equal(maxAbsDiff(model, back, x), 0, `${name}: read-back predictions differ`);
    tf.dispose([x]);
    [model, plain, back].forEach((m) => {
      m.dispose();
    });
  }
});

test('layersModelFiles cuts at 4 MiB by default and takes convertedBy', async () => {
  const model = randomiseWeights(MODELS.mlp());
  const files = layersModelFiles(await artifactsOf(model), { convertedBy: 'deepend test' });
  assert.deepEqual(Object.keys(files).sort(), ['group1-shard1of1.bin', 'model.json']);
  assert.equal(JSON.parse(Buffer.from(files['model.json']).toString('utf8')).convertedBy, 'deepend test');
  model.dispose();
});

function layersOf(config: Obj): Obj[] {
  return ((config.config as Obj).layers as Obj[]) ?? [];
}

test('kerasFileBytes writes a Keras 3 .keras archive that reads back to identical predictions', async () => {
  for (const [name, build] of Object.entries(MODELS)) {
    const model = randomiseWeights(build());
    const bytes = await kerasFileBytes(await artifactsOf(model));
    const file = join(root, `${name}.keras`);
    writeFileSync(file, bytes);
    const entries = unzipSync(bytes);
    assert.deepEqual(Object.keys(entries).sort(), ['config.json', 'metadata.json', 'model.weights.h5']);
    const metadata = JSON.parse(Buffer.from(entries['metadata.json']).toString('utf8'));
    assert.match(metadata.keras_version, /^3\./);
    assert.match(metadata.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const config = JSON.parse(Buffer.from(entries['config.json']).toString('utf8')) as Obj;
    assert.ok('module' in config && 'registered_name' in config, `${name}: no Keras 3 wrapper`);
    const layers = layersOf(config);
    if (config.class_name === 'Sequential') {
      assert.equal(layers[0].class_name, 'InputLayer');
      assert.ok(Array.isArray((layers[0].config as Obj).batch_shape));
      assert.ok(layers.slice(1).every((l) => !('batch_input_shape' in (l.config as Obj))));
      assert.deepEqual((layers[1].config as Obj).dtype, {
        module: 'keras',
        class_name: 'DTypePolicy',
        config: { name: 'float32' },
        registered_name: null,
      });
    } else {
      assert.equal(config.class_name, 'Functional');
      const called = layers.filter((l) => (l.inbound_nodes as unknown[]).length > 0);
      for (const l of called) {
        const node = (l.inbound_nodes as Obj[])[0];
        assert.ok(
          Array.isArray(node.args) && typeof node.kwargs === 'object',
          `${name}: ${String(l.name)} node is not Keras 3's`,
        );
        assert.ok(JSON.stringify(node.args).includes('"__keras_tensor__"'));
      }
    }
    const back = await loadArtifacts(await readModelArtifacts(file));
    const x = sampleInput(model);
    assert.equal(maxAbsDiff(model, back, x), 0, `${name}: predictions differ after the .keras round trip`);
    x.dispose();
    model.dispose();
    back.dispose();
  }
});

test('a nested Sequential is written with Keras 3 node indices (no built-in node)', async () => {
  const model = randomiseWeights(MODELS.nested());
  const entries = unzipSync(await kerasFileBytes(await artifactsOf(model)));
  const config = JSON.parse(Buffer.from(entries['config.json']).toString('utf8')) as Obj;
  const head = layersOf(config).find((l) => l.name === 'head') as Obj;
  const history = (((head.inbound_nodes as Obj[])[0].args as Obj[])[0].config as Obj).keras_history;
  assert.deepEqual(history, ['block', 0, 0]);
  const block = layersOf(config).find((l) => l.name === 'block') as Obj;
  assert.equal(layersOf(block)[0].class_name, 'InputLayer');
  model.dispose();
});

test("deepend's own families (the resnet's ScaledAdd included) survive both writers", async () => {
  for (const family of ['mlp', 'conv', 'resnet'] as Family[]) {
    const spec = familySpec({
      family,
      depth: 2,
      inputShape: [12, 12, 1],
      classes: 4,
      width: 4,
      batchNorm: family !== 'mlp',
    });
    const model = randomiseWeights(buildModel(spec, 3));
    const artifacts = await artifactsOf(model);
    const dir = join(root, `family-${family}`);
    mkdirSync(dir);
    for (const [file, bytes] of Object.entries(layersModelFiles(artifacts, { shardBytes: 2000 })))
      writeFileSync(join(dir, file), bytes);
    const kerasFile = join(root, `family-${family}.keras`);
    writeFileSync(kerasFile, await kerasFileBytes(artifacts));
    const x = sampleInput(model);
    for (const path of [dir, kerasFile]) {
      const back = await loadArtifacts(await readModelArtifacts(path));
      assert.equal(maxAbsDiff(model, back, x), 0, `${family} through ${path}: predictions differ`);
      back.dispose();
    }
    x.dispose();
    model.dispose();
  }
});

const H5PY_DUMP = `
import h5py, json, sys
shapes = {}
def visit(name, obj):
    if isinstance(obj, h5py.Dataset):
        shapes[name] = list(obj.shape)
with h5py.File(sys.argv[1], "r") as f:
    f.visititems(visit)
print(json.dumps(shapes, sort_keys=True))
`;

/** A python3 that imports h5py: the one on PATH, or Debian's (python3-h5py) when PATH has another (pyenv). */
function pythonWithH5py(): string | undefined {
  return ['python3', '/usr/bin/python3'].find(
    (py) => spawnSync(py, ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0,
  );
}

/** python3 with h5py, or undefined after skipping the test (never in CI, which installs python3-h5py). */
function h5pyOrSkip(t: { skip(message: string): void }): string | undefined {
  const python = pythonWithH5py();
  if (python) return python;
  if (process.env.CI === 'true') assert.fail('python3 with h5py is required in CI (.ci/run installs python3-h5py)');
  t.skip('python3 with h5py is not installed (apt-get install python3-h5py); the HDF5 layout check needs it');
  return undefined;
}

test('model.weights.h5 of a written .keras has the Keras 3 layout, as h5py sees it', async (t) => {
  const py = h5pyOrSkip(t);
  if (!py) return;
  const expected: Record<string, Record<string, number[]>> = {
    cnn: {
      'layers/conv2d/vars/0': [3, 3, 1, 6],
      'layers/conv2d/vars/1': [6],
      'layers/batch_normalization/vars/0': [6],
      'layers/batch_normalization/vars/1': [6],
      'layers/batch_normalization/vars/2': [6],
      'layers/batch_normalization/vars/3': [6],
      'layers/conv2d_1/vars/0': [3, 3, 6, 8],
      'layers/conv2d_1/vars/1': [8],
      'layers/dense/vars/0': [72, 5],
      'layers/dense/vars/1': [5],
    },
    nested: {
      'layers/dense/vars/0': [5, 6],
      'layers/dense/vars/1': [6],
      'layers/sequential/layers/dense/vars/0': [6, 8],
      'layers/sequential/layers/dense/vars/1': [8],
      'layers/sequential/layers/batch_normalization/vars/0': [8],
      'layers/sequential/layers/batch_normalization/vars/1': [8],
      'layers/sequential/layers/batch_normalization/vars/2': [8],
      'layers/sequential/layers/batch_normalization/vars/3': [8],
      'layers/dense_1/vars/0': [8, 3],
      'layers/dense_1/vars/1': [3],
    },
  };
  for (const [name, shapes] of Object.entries(expected)) {
    const model = randomiseWeights(MODELS[name]());
    const entries = unzipSync(await kerasFileBytes(await artifactsOf(model)));
    const h5Path = join(root, `${name}.weights.h5`);
    writeFileSync(h5Path, entries['model.weights.h5']);
    const run: SpawnSyncReturns<string> = spawnSync(py, ['-c', H5PY_DUMP, h5Path], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), shapes);
    model.dispose();
  }
});

test('an LSTM (the real Keras fixture) is written with its variables in its cell, where Keras 3 reads them, and reads back to the same predictions', async (t) => {
  const python = h5pyOrSkip(t);
  if (!python) return;
  const fixture = join(__dirname, '..', '..', 'test', 'fixtures', 'keras', 'sequence.keras');
  const model = await loadArtifacts(await readModelArtifacts(fixture));
  const bytes = await kerasFileBytes(await artifactsOf(model));
  const h5Path = join(root, 'sequence.weights.h5');
  writeFileSync(h5Path, unzipSync(bytes)['model.weights.h5']);
  const run = spawnSync(python, ['-c', H5PY_DUMP, h5Path], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  // the layout Keras 3.15.1 wrote in the fixture itself (paths by class: the Dense named 'classes' is layers/dense)
  assert.deepEqual(JSON.parse(run.stdout), {
    'layers/dense/vars/0': [24, 3],
    'layers/dense/vars/1': [3],
    'layers/lstm/cell/vars/0': [4, 96],
    'layers/lstm/cell/vars/1': [24, 96],
    'layers/lstm/cell/vars/2': [96],
  });
  const file = join(root, 'sequence.keras');
  writeFileSync(file, bytes);
  const back = await loadArtifacts(await readModelArtifacts(file));
  const x = sampleInput(model);
  assert.equal(maxAbsDiff(model, back, x), 0);
  x.dispose();
  model.dispose();
  back.dispose();
});

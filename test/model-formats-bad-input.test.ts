import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { artifactsOf, kerasFileBytes, readModelArtifacts } from '../src/model/formats';
import { MODELS, randomiseWeights } from './helpers/format-models';
import { weightsOf, writeConverterDir } from './helpers/converter-layout';
import { writeKeras2H5 } from './helpers/keras-files';
import { snapshot } from './helpers/dir-snapshot';

let root: string;
let model: tfl.LayersModel;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-formats-bad-'));
  model = randomiseWeights(MODELS.cnn());
});

after(() => {
  model.dispose();
  rmSync(root, { recursive: true, force: true });
});

function converterDir(name: string): string {
  const dir = join(root, name);
  writeConverterDir(dir, model.toJSON(null, false) as object, weightsOf(model), { shardBytes: 1000 });
  return dir;
}

/** The read fails with one line that starts with `file` and matches `reason`, and `dir` is left as it was. */
async function refused(path: string, dir: string, file: string, reason: RegExp): Promise<void> {
  const before = snapshot(dir);
  await assert.rejects(readModelArtifacts(path), (err: Error) => {
    assert.ok(!err.message.includes('\n'), `more than one line: ${err.message}`);
    assert.ok(err.message.startsWith(`${file}: `), `does not name ${file} first: ${err.message}`);
    assert.match(err.message, reason);
    return true;
  });
  assert.deepEqual(snapshot(dir), before, "the user's directory changed");
}

test('a truncated shard', async () => {
  const dir = converterDir('truncated');
  const last = join(dir, 'group1-shard4of4.bin');
  truncateSync(last, readFileSync(last).byteLength - 10);
  await refused(dir, dir, last, /truncated: .* needs \d+ bytes, its 4 shard file\(s\) hold \d+/);
});

test('a shard the manifest names is missing', async () => {
  const dir = converterDir('missing-shard');
  unlinkSync(join(dir, 'group1-shard2of4.bin'));
  await refused(dir, dir, join(dir, 'group1-shard2of4.bin'), /weight shard named in .*model\.json is missing/);
});

test('a weight of unknown dtype in the manifest', async () => {
  const dir = converterDir('bad-dtype');
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  json.weightsManifest[0].weights[1].dtype = 'complex64';
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  await refused(dir, dir, join(dir, 'model.json'), /weight "conv2d_1\/bias" has dtype "complex64"/);
});

test('a TF.js graph model', async () => {
  const dir = join(root, 'graph');
  mkdirSync(dir);
  const graph = {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { node: [{ name: 'x', op: 'Placeholder' }], library: {}, versions: { producer: 1808 } },
    weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(graph));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.alloc(0));
  await refused(
    dir,
    dir,
    join(dir, 'model.json'),
    /TF\.js graph model .*cannot be grown.*export the Keras model instead/,
  );
});

test('model.json that is not JSON', async () => {
  const dir = converterDir('not-json');
  writeFileSync(join(dir, 'model.json'), '{"format": "layers-model", "modelTopology": ');
  await refused(dir, dir, join(dir, 'model.json'), /not valid JSON/);
});

test('a weights-only .h5 (save_weights)', async () => {
  const dir = join(root, 'weights-only');
  mkdirSync(dir);
  const file = join(dir, 'weights.h5');
  await writeKeras2H5(file, model, { weightsOnly: true });
  await refused(file, dir, file, /holds weights only .*save the model with model\.save\(\), not save_weights\(\)/);
});

test('a .h5 that is not HDF5', async () => {
  const dir = join(root, 'not-hdf5');
  mkdirSync(dir);
  writeFileSync(join(dir, 'model.h5'), 'this is not an HDF5 file\n'.repeat(40));
  await refused(join(dir, 'model.h5'), dir, join(dir, 'model.h5'), /not an HDF5 file/);
});

test('a corrupt .keras zip', async () => {
  const dir = join(root, 'corrupt-zip');
  mkdirSync(dir);
  const bytes = await kerasFileBytes(await artifactsOf(model));
  const file = join(dir, 'model.keras');
  writeFileSync(file, bytes.subarray(0, Math.floor(bytes.byteLength / 2)));
  await refused(file, dir, file, /corrupt zip archive/);
  writeFileSync(join(dir, 'other.keras'), 'not a zip');
  await refused(join(dir, 'other.keras'), dir, join(dir, 'other.keras'), /not a zip archive/);
});

test('a .keras whose weights do not fit its config', async () => {
  const dir = join(root, 'mismatch');
  mkdirSync(dir);
  const small = randomiseWeights(MODELS.mlp());
  const { unzipSync, zipSync } = await import('fflate');
  const good = unzipSync(await kerasFileBytes(await artifactsOf(model)));
  const other = unzipSync(await kerasFileBytes(await artifactsOf(small)));
  const file = join(dir, 'model.keras');
  writeFileSync(file, zipSync({ ...good, 'model.weights.h5': other['model.weights.h5'] }));
  await refused(
    file,
    dir,
    file,
    /layer "conv2d_1" has weights but model\.weights\.h5 has none at layers\/conv2d\/vars|has shape/,
  );
  small.dispose();
});

test('a path that does not exist, and a directory without model.json', async () => {
  const dir = join(root, 'empty');
  mkdirSync(dir);
  await refused(join(dir, 'nope'), dir, join(dir, 'nope'), /not found/);
  await refused(dir, dir, dir, /no model\.json in this directory/);
});

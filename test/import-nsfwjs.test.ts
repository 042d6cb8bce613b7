import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { runCli } from './helpers/cli';
import { snapshot } from './helpers/dir-snapshot';
import { writeNsfwjsFixture } from './helpers/nsfwjs-fixture';
import { loadPlain, writeLabelledPictures } from './helpers/user-models';

// nsfwjs's classes, in its output order (the package's own code names them; no labels file ships with the model).
const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const IMAGES = 40;

let root: string;
let modelDir: string;
let dataDir: string;

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-nsfwjs-grow-'));
  modelDir = writeNsfwjsFixture(join(root, 'mobilenet_v2'));
  // Local data labelled by the model itself (as nsfwjs's users label theirs: pixels / 255), so that the
  // exported model is the one that fits it; a class folder per label the model gave.
  dataDir = join(root, 'pictures');
  const model = await loadPlain(modelDir);
  writeLabelledPictures(model, dataDir, LABELS, IMAGES);
  model.dispose();
});

after(() => rmSync(root, { recursive: true, force: true }));

test('nsfwjs: inspect names what stops growth and where to freeze; with --freeze-through its head is the chain', async () => {
  const plain = await runCli(['inspect', modelDir, '--json']);
  assert.equal(plain.code, 0, plain.stderr);
  const report = JSON.parse(plain.stdout);
  assert.deepEqual(report.producer, { kerasVersion: '2.2.4', backend: 'tensorflow' });
  assert.equal(report.growable, false);
  assert.match(
    report.problem,
    /layer 'block_16_depthwise' \(DepthwiseConv2D\) cannot be grown.*--freeze-through block_16_depthwise/,
  );
  const frozen = await runCli(['inspect', modelDir, '--freeze-through', 'out_relu', '--json']);
  const head = JSON.parse(frozen.stdout);
  assert.equal(head.growable, true);
  assert.deepEqual(head.sites, ['dense_1', 'dense_2']);
  assert.equal(head.frozenThrough, 'out_relu');
  assert.ok(head.frozenParameters > 2_000_000);
});

test('nsfwjs: its head grows with the MobileNetV2 backbone frozen, and the result is a standard model', {
  timeout: 900_000,
}, async () => {
  const before = snapshot(modelDir);
  const out = join(root, 'grown');
  const r = await runCli(
    [
      'grow',
      '--model',
      modelDir,
      '--data',
      dataDir,
      '--freeze-through',
      'out_relu',
      '--labels',
      LABELS.join(','),
      '--to-depth',
      '3',
      '--method',
      'identity',
      '--epochs',
      '1',
      '--out',
      out,
      '--json',
    ],
    { timeoutMs: 840_000 },
  );
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.depthBefore, 2);
  assert.equal(report.depthAfter, 3);
  assert.equal(report.accuracyBefore, 1, 'the model labelled this data itself');
  assert.equal(report.accuracyAfterInsertion, 1, 'identity insertion keeps every answer');
  assert.deepEqual(snapshot(modelDir), before, "the user's model changed");
  const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
  assert.equal(meta.origin.producer.kerasVersion, '2.2.4');
  assert.deepEqual(meta.labels, LABELS);
  const original = await loadPlain(modelDir);
  const grown: tfl.LayersModel = await loadPlain(out);
  const kernel = (m: tfl.LayersModel) => m.getLayer('Conv_1').getWeights()[0].dataSync();
  assert.deepEqual(Array.from(kernel(grown)), Array.from(kernel(original)), 'the frozen backbone changed');
  assert.equal(grown.layers.length, original.layers.length + 1, 'one Dense (relu fused, as dense_1 has it) more');
  original.dispose();
  grown.dispose();
});

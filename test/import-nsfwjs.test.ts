import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { runCli } from './helpers/cli';
import { snapshot } from './helpers/dir-snapshot';
import { writeNsfwjsFixture } from './helpers/nsfwjs-fixture';
import { loadPlain } from './helpers/user-models';

// nsfwjs's classes, in its output order (the package's own code names them; no labels file ships with the model).
const LABELS = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const SIZE = 224;
const IMAGES = 40;

let root: string;
let modelDir: string;
let dataDir: string;

/** A seeded 224x224 RGB picture: a colour gradient, a blob and noise, different enough across seeds for the model to disagree. */
function picture(seed: number): Uint8Array {
  let s = seed * 7919 + 13;
  const random = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const [r0, g0, b0, r1, g1, b1] = Array.from({ length: 6 }, () => random() * 255);
  const cx = random() * SIZE;
  const cy = random() * SIZE;
  const radius = 20 + random() * 80;
  const pixels = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const t = (x + y) / (2 * SIZE);
      const inBlob = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
      const i = (y * SIZE + x) * 3;
      pixels[i] = inBlob ? 255 - r0 : r0 * (1 - t) + r1 * t + (random() - 0.5) * 30;
      pixels[i + 1] = inBlob ? 255 - g0 : g0 * (1 - t) + g1 * t + (random() - 0.5) * 30;
      pixels[i + 2] = inBlob ? 255 - b0 : b0 * (1 - t) + b1 * t + (random() - 0.5) * 30;
    }
  }
  return pixels;
}

function writePng(path: string, rgb: Uint8Array): void {
  const png = new PNG({ width: SIZE, height: SIZE });
  for (let p = 0; p < SIZE * SIZE; p++) {
    png.data[p * 4] = rgb[p * 3];
    png.data[p * 4 + 1] = rgb[p * 3 + 1];
    png.data[p * 4 + 2] = rgb[p * 3 + 2];
    png.data[p * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-nsfwjs-grow-'));
  modelDir = writeNsfwjsFixture(join(root, 'mobilenet_v2'));
  // Local data labelled by the model itself (as nsfwjs's users label theirs: pixels / 255), so that the
  // exported model is the one that fits it; a class folder per label the model gave.
  dataDir = join(root, 'pictures');
  const model = await loadPlain(modelDir);
  for (let i = 0; i < IMAGES; i++) {
    const rgb = picture(i);
    const label = tf.tidy(() => tf.argMax(model.predict(tf.div(tf.tensor(rgb, [1, SIZE, SIZE, 3], 'float32'), 255)) as tf.Tensor, -1).dataSync()[0]);
    mkdirSync(join(dataDir, LABELS[label]), { recursive: true });
    writePng(join(dataDir, LABELS[label], `${i}.png`), rgb);
  }
  model.dispose();
});

after(() => rmSync(root, { recursive: true, force: true }));

test('nsfwjs: inspect names what stops growth and where to freeze; with --freeze-through its head is the chain', async () => {
  const plain = await runCli(['inspect', modelDir, '--json']);
  assert.equal(plain.code, 0, plain.stderr);
  const report = JSON.parse(plain.stdout);
  assert.deepEqual(report.producer, { kerasVersion: '2.2.4', backend: 'tensorflow' });
  assert.equal(report.growable, false);
  assert.match(report.problem, /layer 'block_16_depthwise' \(DepthwiseConv2D\) cannot be grown.*--freeze-through block_16_depthwise/);
  const frozen = await runCli(['inspect', modelDir, '--freeze-through', 'out_relu', '--json']);
  const head = JSON.parse(frozen.stdout);
  assert.equal(head.growable, true);
  assert.deepEqual(head.sites, ['dense_1', 'dense_2']);
  assert.equal(head.frozenThrough, 'out_relu');
  assert.ok(head.frozenParameters > 2_000_000);
});

test('nsfwjs: its head grows with the MobileNetV2 backbone frozen, and the result is a standard model', { timeout: 300_000 }, async () => {
  const before = snapshot(modelDir);
  const out = join(root, 'grown');
  const r = await runCli(
    ['grow', '--model', modelDir, '--data', dataDir, '--freeze-through', 'out_relu', '--labels', LABELS.join(','), '--to-depth', '3', '--method', 'identity', '--epochs', '1', '--out', out, '--json'],
    { timeoutMs: 280_000 },
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

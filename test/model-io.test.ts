import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { familySpec } from '../src/model/families';
import { buildModel } from '../src/model/build';
import { loadModel, MetaWithoutDigest, saveModel } from '../src/model/io';
import { artifactsOf } from '../src/model/formats';
import { META_FORMAT } from '../src/model/meta';
import { ArchSpec, Family } from '../src/model/arch';

function metaFor(spec: ArchSpec): MetaWithoutDigest {
  return {
    format: META_FORMAT,
    name: 'roundtrip',
    family: spec.family,
    depth: spec.blocks.length,
    arch: spec,
    inputShape: spec.inputShape,
    labels: Array.from({ length: spec.classes }, (_, i) => String(i)),
    normalisation: { mean: [0.5], std: [0.25] },
    parent: null,
    growth: [],
    metrics: {},
    createdAt: new Date().toISOString(),
    backend: 'test',
  };
}

async function savedModel(family: Family, dir: string) {
  const spec = familySpec({
    family,
    depth: 2,
    inputShape: [12, 12, 1],
    classes: 4,
    width: 4,
    batchNorm: family === 'conv',
  });
  const model = buildModel(spec, 3);
  await saveModel(model, metaFor(spec), dir);
  return { model, spec };
}

test('save/load round-trip is bit-exact for every family', async () => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-io-'));
  try {
    for (const family of ['mlp', 'conv', 'resnet'] as Family[]) {
      const dir = join(root, family);
      const { model } = await savedModel(family, dir);
      const loaded = await loadModel(dir);
      const a = await artifactsOf(model);
      const b = await artifactsOf(loaded.model);
      assert.ok(Buffer.from(a.weightData).equals(Buffer.from(b.weightData)), `${family}: weights differ after load`);
      const x = tf.randomUniform([3, 12, 12, 1]);
      const pa = (model.predict(x) as tf.Tensor).dataSync();
      const pb = (loaded.model.predict(x) as tf.Tensor).dataSync();
      assert.deepEqual(Array.from(pb), Array.from(pa), `${family}: predictions differ after load`);
      assert.equal(loaded.meta.depth, 2);
      assert.deepEqual(readdirSync(dir).sort(), ['group1-shard1of1.bin', 'meta.json', 'model.json']);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('saving never overwrites a non-empty directory and leaves no partial output', async () => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-io-'));
  try {
    const dir = join(root, 'm');
    const { model, spec } = await savedModel('mlp', dir);
    await assert.rejects(saveModel(model, metaFor(spec), dir), /already exists and is not empty/);
    assert.deepEqual(readdirSync(root), ['m']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('every damaged model directory is a one-line error naming the file', async () => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-io-'));
  try {
    const dir = join(root, 'm');
    await savedModel('conv', dir);
    const pristine = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    const restore = () =>
      Object.entries(pristine).forEach(([f, b]) => {
        writeFileSync(join(dir, f), b);
      });
    const cases: [string, () => void, RegExp][] = [
      [
        'corrupt model.json',
        () => writeFileSync(join(dir, 'model.json'), '{"modelTopology": '),
        /model\.json: model\.json is not valid JSON/,
      ],
      ['model.json without topology', () => writeFileSync(join(dir, 'model.json'), '{}'), /not a TF\.js layers model/],
      [
        'missing weights',
        () => rmSync(join(dir, 'group1-shard1of1.bin')),
        /group1-shard1of1\.bin: weights file is missing/,
      ],
      [
        'truncated weights',
        () => writeFileSync(join(dir, 'group1-shard1of1.bin'), pristine['group1-shard1of1.bin'].subarray(0, 100)),
        /has 100 bytes but model\.json describes/,
      ],
      [
        'flipped weight byte',
        () => {
          const b = Buffer.from(pristine['group1-shard1of1.bin']);
          b[10] ^= 0xff;
          writeFileSync(join(dir, 'group1-shard1of1.bin'), b);
        },
        /sha256 .* does not match meta\.json/,
      ],
      ['missing meta.json', () => rmSync(join(dir, 'meta.json')), /meta\.json: meta\.json is missing/],
      [
        'unknown family in meta',
        () =>
          writeFileSync(
            join(dir, 'meta.json'),
            pristine['meta.json'].toString().replace('"family": "conv"', '"family": "transformer"'),
          ),
        /unknown model family "transformer"/,
      ],
    ];
    for (const [what, damage, expected] of cases) {
      restore();
      damage();
      await assert.rejects(loadModel(dir), (err: Error) => {
        assert.match(err.message, expected, what);
        assert.ok(!err.message.includes('\n'), `${what}: message spans lines`);
        return true;
      });
    }
    await assert.rejects(loadModel(join(root, 'nowhere')), /model directory not found/);
    assert.ok(existsSync(dir));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

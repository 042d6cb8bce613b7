// Serving a two-class model that answers one raw score (the Keras tutorials' Dense(1) trained from logits), as
// deepend imports it from the user's .keras: one value per instance, as the model gives it, and the class a
// watch or a shadow counts is 1 above 0 (not above 0.5, as for a sigmoid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from '../src/tf';
import { applyNormalisation } from '../src/data/normalise';
import { loadServedModel, Metrics, ModelSlot, serverPort, startServer, stopServer } from '../src/serve';
import { JOB_STATES } from '../src/store/job-states';
import type { ObservedPredict } from '../src/serve/predict-tap';
import { useTestBackend } from './helpers/backend';
import { REPO, runCli } from './helpers/cli';
import { loadPlain } from './helpers/user-models';

const FIXTURES = join(REPO, 'test', 'fixtures', 'keras');

test('a one-score model answers its raw score per instance; the observed class is 1 above 0', async (t) => {
  await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-serve-binary-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'grown');
  const grown = await runCli([
    'grow',
    '--model',
    join(FIXTURES, 'binary.keras'),
    '--data',
    join(FIXTURES, 'binary.csv'),
    '--to-depth',
    '3',
    '--method',
    'identity',
    '--epochs',
    '1',
    '--out',
    dir,
  ]);
  assert.equal(grown.code, 0, grown.stderr);

  // plain TF.js loads the grown model.json, which names its loss as tensorflowjs_converter does
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  assert.deepEqual(modelJson.modelTopology.training_config.loss.config, {
    name: 'binary_crossentropy',
    from_logits: true,
  });
  assert.match(String(modelJson.modelTopology.keras_version), /^tfjs-layers /, 'keras_version beside model_config');
  assert.equal(modelJson.modelTopology.keras_version, modelJson.modelTopology.model_config.keras_version);
  const plain = await loadPlain(dir);
  assert.deepEqual(plain.outputs[0].shape, [null, 1]);
  plain.dispose();

  const served = await loadServedModel(dir, 1);
  const slot = new ModelSlot('binary');
  const server = await startServer({
    port: 0,
    slots: new Map([['binary', slot]]),
    metrics: new Metrics(),
    status: () => ({ device: 'test-device' }),
    jobs: { states: JOB_STATES, current: () => undefined },
  });
  t.after(async () => {
    await stopServer(server);
    await slot.close();
  });
  await slot.swap(served);
  const observed: ObservedPredict[] = [];
  slot.tap({ predicted: (p) => observed.push(p) });

  // rows of binary.csv (the first are class no, the last yes), and points on the line between two of them, where
  // the score crosses 0: one of them scores between 0 and 0.5, which a sigmoid's threshold would call class 0
  const rows = readFileSync(join(FIXTURES, 'binary.csv'), 'utf8').trim().split('\n').slice(1);
  const [no, yes] = [rows[0], rows[rows.length - 1]].map((r) => r.split(',').slice(0, 6).map(Number));
  const line = Array.from({ length: 201 }, (_, k) => no.map((v, j) => v + ((yes[j] - v) * k) / 200));
  const scoreOf = (points: number[][]) => {
    const x = applyNormalisation(Float32Array.from(points.flat()), served.meta.normalisation);
    return tf.tidy(() => Array.from((served.model.predict(tf.tensor(x, [points.length, 6])) as tf.Tensor).dataSync()));
  };
  const onLine = scoreOf(line);
  const low = onLine.findIndex((s) => s > 0 && s < 0.5);
  assert.ok(low >= 0, `no point on the line scores in (0, 0.5): ${onLine.map((s) => s.toFixed(2))}`);
  const instances = [no, yes, line[low], line[Math.max(0, low - 1)]];
  const res = await fetch(`http://127.0.0.1:${serverPort(server)}/v1/models/binary:predict`, {
    method: 'POST',
    body: JSON.stringify({ instances }),
  });
  assert.equal(res.status, 200);
  const predictions = ((await res.json()) as { predictions: number[][] }).predictions;
  const metadata = await fetch(`http://127.0.0.1:${serverPort(server)}/v1/models/binary/metadata`);
  assert.deepEqual(
    ((await metadata.json()) as { metadata: { deepend: { output: unknown } } }).metadata.deepend.output,
    {
      kind: 'logits',
      values: 1,
      classOf: 'above 0',
    },
  );
  assert.deepEqual(
    predictions.map((p) => p.length),
    [1, 1, 1, 1],
  );
  const scores = scoreOf(instances);
  for (const [i, p] of predictions.entries()) assert.ok(Math.abs(p[0] - scores[i]) < 1e-5, `${p[0]} vs ${scores[i]}`);
  assert.ok(
    scores.some((s) => s < 0) && scores.some((s) => s > 0),
    `raw scores of both signs, not probabilities: ${scores}`,
  );

  for (let i = 0; i < 50 && observed.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(observed.length, 1);
  assert.deepEqual(observed[0].classes.slice(0, 3), [0, 1, 1]);
  assert.deepEqual(
    observed[0].classes,
    scores.map((s) => (s > 0 ? 1 : 0)),
  );
});

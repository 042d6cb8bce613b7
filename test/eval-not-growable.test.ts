// `deepend eval` measures a model that cannot grow as it is (a Conv1D before its head), read frozen through the
// layer that feeds its output layer, and says why it cannot grow; `deepend grow` still refuses it with the fix.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tfl } from '../src/tf';
import { layerFeedingOutput } from '../src/model/keras/chain-walk';
import { useTestBackend } from './helpers/backend';
import { runCli } from './helpers/cli';
import { snapshot } from './helpers/dir-snapshot';
import { exportConverterDir } from './helpers/user-models';

let root: string;
before(async () => {
  await useTestBackend();
  root = mkdtempSync(join(tmpdir(), 'deepend-eval-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Rows of digits read as sequences: 28 steps of 28 values, a Conv1D over them, pooled, then the classes. */
function sequenceModel(): tfl.LayersModel {
  return tfl.sequential({
    name: 'rows',
    layers: [
      tfl.layers.conv1d({ filters: 6, kernelSize: 3, activation: 'relu', inputShape: [28, 28], name: 'conv1d' }),
      tfl.layers.globalMaxPooling1d({ name: 'pool' }),
      tfl.layers.activation({ activation: 'linear', name: 'same' }),
      tfl.layers.dense({ units: 10, name: 'scores' }),
      tfl.layers.softmax({ name: 'probabilities' }),
    ],
  });
}

test('the layer feeding the output layer, walking back over what follows it; none for a model that is its output layer', () => {
  const model = sequenceModel();
  assert.equal(layerFeedingOutput(model), 'same');
  const alone = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], name: 'only' })] });
  assert.equal(layerFeedingOutput(alone), undefined);
  model.dispose();
  alone.dispose();
});

test('eval measures a model that cannot grow and says why; grow refuses it, and the model is untouched', async () => {
  const model = sequenceModel();
  const dir = exportConverterDir(model, join(root, 'rows'));
  model.dispose();
  const before = snapshot(dir);
  const evaluated = await runCli(['eval', '--model', dir, '--data', 'mnist', '--data-limit', '300', '--json']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const summary = JSON.parse(evaluated.stdout);
  assert.equal(summary.depth, null);
  assert.match(summary.notGrowable, /layer 'conv1d' \(Conv1D\) cannot be grown: .* --freeze-through conv1d$/);
  assert.ok(summary.accuracy >= 0 && summary.accuracy <= 1 && summary.samples === 60, evaluated.stdout);
  const refused = await runCli([
    ...['grow', '--model', dir, '--data', 'mnist', '--data-limit', '300', '--to-depth', '1'],
    ...['--method', 'identity', '--out', join(root, 'grown')],
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /layer 'conv1d' \(Conv1D\) cannot be grown/);
  assert.deepEqual(snapshot(dir), before);
});

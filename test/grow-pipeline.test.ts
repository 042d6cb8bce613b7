import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { loadModel } from '../src/model/io';
import { grow } from '../src/grow/run';
import { growUntil } from '../src/grow/until';
import { AbortedError } from '../src/train/progress';

async function smallSplit() {
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1200,
  });
  return splitDataset(data);
}

test('grow reports every figure on one held-out split and leaks no tensors', async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const baseline = tf.memory().numTensors;
  const { model, report } = await grow({
    parent,
    method: 'identity',
    toDepth: 3,
    split,
    budget: { epochs: 1 },
    backend,
  });
  assert.equal(report.depthBefore, 2);
  assert.equal(report.depthAfter, 3);
  assert.equal(report.accuracyAfterInsertion, report.accuracyBefore, 'identity insertion changed held-out accuracy');
  assert.ok(report.accuracyAfter > 0.8, `accuracy after ${report.accuracyAfter}`);
  assert.equal(report.split.fingerprint, split.fingerprint);
  assert.equal(report.split.counts.test, split.counts.test);
  assert.ok(report.parameters > report.parametersBefore);
  assert.equal(report.insertions.length, 1);
  assert.equal(report.curves.at(-1)!.stage, 'stage2');
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by a growth run');
  parent.model.dispose();
});

test('an aborted growth throws AbortedError and leaks no tensors', async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const baseline = tf.memory().numTensors;
  const controller = new AbortController();
  let events = 0;
  await assert.rejects(
    grow({
      parent,
      method: 'random',
      toDepth: 4,
      split,
      budget: { epochs: 5 },
      backend,
      signal: controller.signal,
      onProgress: () => {
        if (++events === 3) controller.abort();
      },
    }),
    AbortedError,
  );
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by an aborted growth');
  parent.model.dispose();
});

test('grow-until stops at the target accuracy, else at the target depth', async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const reached = await growUntil({
    parent,
    method: 'identity',
    maxDepth: 5,
    untilAccuracy: 0.5,
    split,
    budget: { epochs: 1 },
    backend,
  });
  assert.equal(reached.stoppedBy, 'accuracy');
  assert.equal(reached.steps.length, 1);
  assert.equal(reached.report.depthAfter, 3);
  reached.model.dispose();
  const deep = await growUntil({
    parent,
    method: 'identity',
    maxDepth: 3,
    untilAccuracy: 1.01,
    split,
    budget: { epochs: 1 },
    backend,
  });
  assert.ok(['depth', 'no-gain'].includes(deep.stoppedBy));
  assert.equal(deep.steps.length, 1);
  deep.model.dispose();
  parent.model.dispose();
});

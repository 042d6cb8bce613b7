import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/load';
import { correctFlags } from '../src/grow/held-out-pairs';
import { loadModel } from '../src/model/io';
import { evaluate, evaluateEach } from '../src/train/classifier';
import { disposeTensorSet, toTensorSet } from '../src/train/tensors';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';

test("evaluateEach gives evaluate's figures and correctFlags's samples from one forward pass, across batches", async () => {
  await useTestBackend();
  const parent = await loadModel(DEFAULT_MODEL);
  // 700 samples: one whole batch of 512 and a part one
  const { meta } = parent;
  const data = await loadDataset('mnist', { inputShape: [28, 28, 1], classes: meta.labels, limit: 700 });
  const set = toTensorSet(data, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
  try {
    const each = evaluateEach(parent.model, set);
    const { correct, ...figures } = each;
    assert.deepEqual(figures, evaluate(parent.model, set));
    assert.deepEqual(Array.from(correct), Array.from(correctFlags(parent.model, set)));
    assert.equal(
      correct.reduce((a, b) => a + b, 0),
      Math.round(each.accuracy * 700),
    );
    assert.ok(correct.includes(0) && correct.includes(1), 'both right and wrong answers are compared');
  } finally {
    disposeTensorSet(set);
    parent.model.dispose();
  }
});

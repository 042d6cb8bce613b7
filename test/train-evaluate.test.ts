import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset } from '../src/data/load';
import { loadModel } from '../src/model/io';
import { tf } from '../src/tf';
import { classifierLoss, evaluateEach } from '../src/train/classifier';
import { disposeTensorSet, toTensorSet } from '../src/train/tensors';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';

test('evaluateEach: per-sample right and wrong, accuracy and mean loss as one whole-set prediction gives them, across batches', async () => {
  await useTestBackend();
  const parent = await loadModel(DEFAULT_MODEL);
  const { meta } = parent;
  // 700 samples: one whole batch of 512 and a part one
  const data = await loadDataset('mnist', { inputShape: [28, 28, 1], classes: meta.labels, limit: 700 });
  const set = toTensorSet(data, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
  try {
    const each = evaluateEach(parent.model, set);
    // the reference: all 700 at once, argmax against the labels, the loss over the whole set
    const [predicted, wholeLoss] = tf.tidy(() => {
      const p = parent.model.predict(set.x) as tf.Tensor;
      return [
        Array.from(tf.argMax(p, -1).dataSync()),
        classifierLoss(p, set.labels, set.classes, set.output).dataSync()[0],
      ];
    });
    const expected = predicted.map((c, i) => (c === data.y[i] ? 1 : 0));
    assert.deepEqual(Array.from(each.correct), expected);
    assert.ok(expected.includes(0) && expected.includes(1), 'both right and wrong answers are compared');
    assert.equal(each.count, 700);
    assert.equal(each.accuracy, expected.reduce((a: number, b) => a + b, 0) / 700);
    assert.ok(Math.abs(each.loss - wholeLoss) < 1e-5, `batched loss ${each.loss} vs whole-set ${wholeLoss}`);
  } finally {
    disposeTensorSet(set);
    parent.model.dispose();
  }
});

/*
 * Before an imported model grows, its own accuracy on the data must be clearly above chance
 * (src/grow/preflight.ts); the message says what is probably wrong. Models here are one Dense layer whose
 * weights send each one-hot input class to a chosen output, so the confusion matrix is exactly known.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../src/tf';
import { checkParentAboveChance } from '../src/grow/preflight';
import type { TensorSet } from '../src/train/tensors';
import { useTestBackend } from './helpers/backend';

const LABELS = ['circle', 'square', 'stripes'];

/** 10 one-hot samples of each class, and a model that answers `answers[c]` for class c. */
function answering(answers: number[]): { model: tfl.LayersModel; data: TensorSet } {
  const classes = answers.length;
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [classes], units: classes, useBias: false, activation: 'softmax' })],
  });
  const w = tf.buffer([classes, classes]);
  for (const [from, to] of answers.entries()) w.set(10, from, to);
  model.layers[0].setWeights([w.toTensor()]);
  const labels = Array.from({ length: classes * 10 }, (_, i) => Math.floor(i / 10));
  const data: TensorSet = {
    x: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32'),
    labels: tf.tensor1d(labels, 'int32'),
    count: labels.length,
    classes,
  };
  return { model, data };
}

test('near chance: a whole other label order is named; far below chance without one, the label order is still named first', async () => {
  await useTestBackend();
  const permuted = answering([1, 2, 0]);
  assert.throws(
    () => checkParentAboveChance(permuted.model, permuted.data, LABELS, 'raw values'),
    /accuracy is 0\.0%, near chance, and its answers follow a different label order \(data 'circle' -> output 1 \('square'\)/,
  );
  // a weak class answered as another: no whole permutation, accuracy 0 (far below the 33.3% of chance)
  const weak = answering([2, 2, 0]);
  assert.throws(
    () => checkParentAboveChance(weak.model, weak.data, LABELS, 'raw values'),
    /^DeependError: the model's own held-out accuracy on this data is 0\.0%, far below chance \(33\.3%\): its classes are probably in another order than the data's \(circle, square, stripes\): pass --labels/,
  );
  // near chance but not below half of it: the scaling is the likelier cause
  const half = answering([0, 2, 0]);
  assert.throws(
    () => checkParentAboveChance(half.model, half.data, LABELS, 'raw values'),
    /accuracy on this data is 33\.3%, near chance \(33\.3%\): the input scaling is probably wrong \(now raw values\)/,
  );
  const right = answering([0, 1, 2]);
  assert.equal(checkParentAboveChance(right.model, right.data, LABELS, 'raw values').accuracy, 1);
  for (const { model, data } of [permuted, weak, half, right]) {
    model.dispose();
    tf.dispose([data.x, data.labels]);
  }
});

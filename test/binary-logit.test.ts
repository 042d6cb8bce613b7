// A two-class model that answers one raw score (Dense(1), no activation, trained with
// BinaryCrossentropy(from_logits=True)), as the TensorFlow image-classification and transfer-learning tutorials
// end: how a file's training loss is read, the loss deepend trains it with, and how a class is read off the score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBinaryFromLogits, kerasLossConfig, trainingLossOf } from '../src/model/formats/training-loss';
import { tf, tfl } from '../src/tf';
import { analyseKeras } from '../src/model/keras/analyse';
import { classifierLoss, predictedClasses } from '../src/train/classifier';
import { classesOf } from '../src/serve/predict-tap';
import { useTestBackend } from './helpers/backend';

test('the training loss as Keras 2 .h5, Keras 3 (.keras and .h5), tensorflowjs_converter and LayersModel.save() keep it', () => {
  const keras2 = {
    loss: {
      class_name: 'BinaryCrossentropy',
      config: { reduction: 'auto', name: 'binary_crossentropy', from_logits: true },
    },
  };
  const keras3 = {
    loss: {
      module: 'keras.losses',
      class_name: 'BinaryCrossentropy',
      config: { name: 'binary_crossentropy', reduction: 'sum_over_batch_size', from_logits: true, axis: -1 },
      registered_name: null,
    },
    optimizer: 'adam',
  };
  assert.deepEqual(trainingLossOf(keras2), { name: 'binary_crossentropy', fromLogits: true });
  assert.deepEqual(trainingLossOf(keras3), { name: 'binary_crossentropy', fromLogits: true });
  assert.deepEqual(trainingLossOf({ loss: 'binary_crossentropy' }), { name: 'binary_crossentropy', fromLogits: false });
  assert.deepEqual(trainingLossOf({ loss: 'binaryCrossentropy' }), { name: 'binary_crossentropy', fromLogits: false });
  assert.deepEqual(
    trainingLossOf({ loss: { module: 'keras.losses', class_name: 'function', config: 'mean_squared_error' } }),
    { name: 'mean_squared_error', fromLogits: false },
  );
  assert.deepEqual(trainingLossOf({ loss: { class_name: 'BinaryFocalCrossentropy', config: { from_logits: true } } }), {
    name: 'binary_focal_crossentropy',
    fromLogits: true,
  });
  // a one-output model compiled with a list or a dict of its one loss
  assert.deepEqual(trainingLossOf({ loss: [keras3.loss] }), { name: 'binary_crossentropy', fromLogits: true });
  assert.deepEqual(trainingLossOf({ loss: { score: keras2.loss } }), { name: 'binary_crossentropy', fromLogits: true });
  assert.deepEqual(trainingLossOf({ loss: { score: 'mse' } }), { name: 'mse', fromLogits: false });
  // one loss per output, none, or no training config at all: no loss to go by
  assert.equal(trainingLossOf({ loss: ['mse', 'binary_crossentropy'] }), undefined);
  assert.equal(trainingLossOf({ loss: { a: 'mse', b: 'binary_crossentropy' } }), undefined);
  assert.equal(trainingLossOf({ loss: [] }), undefined);
  assert.equal(trainingLossOf({ loss: null }), undefined);
  assert.equal(trainingLossOf(undefined), undefined);

  assert.ok(isBinaryFromLogits(trainingLossOf(keras3)));
  assert.ok(!isBinaryFromLogits(trainingLossOf({ loss: 'binary_crossentropy' })), 'BCE on probabilities');
  assert.ok(!isBinaryFromLogits(trainingLossOf({ loss: 'mse' })));
  assert.ok(
    !isBinaryFromLogits(
      trainingLossOf({ loss: { class_name: 'CategoricalCrossentropy', config: { from_logits: true } } }),
    ),
  );
  // what the .keras writer puts in compile_config reads back as the same loss
  const written = { loss: kerasLossConfig({ name: 'binary_crossentropy', fromLogits: true }) };
  assert.equal((written.loss as { class_name: string }).class_name, 'BinaryCrossentropy');
  assert.deepEqual(trainingLossOf(written), { name: 'binary_crossentropy', fromLogits: true });
});

test('one raw score per sample: binary cross-entropy from logits, finite for large scores, and class 1 above 0', async () => {
  await useTestBackend();
  const z = tf.tensor2d([[-3], [-0.2], [0.1], [2.5], [80], [-80]]);
  const labels = tf.tensor1d([0, 1, 1, 1, 0, 0], 'int32');
  const scores = [-3, -0.2, 0.1, 2.5, 80, -80];
  const ys = [0, 1, 1, 1, 0, 0];
  // -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], written as softplus so that z = 80 stays finite
  const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  const reference = scores.reduce((s, v, i) => s + softplus(v) - v * ys[i], 0) / scores.length;
  const loss = classifierLoss(z, labels, 2, 'logits');
  assert.ok(Math.abs(loss.dataSync()[0] - reference) < 1e-4, `${loss.dataSync()[0]} vs ${reference}`);
  // the same as the sigmoid path's loss on sigmoid(z), where that one is not clipped
  const small = tf.tensor2d([[-3], [-0.2], [0.1], [2.5]]);
  const smallLabels = tf.tensor1d([0, 1, 1, 1], 'int32');
  const fromLogits = tf.tidy(() => classifierLoss(small, smallLabels, 2, 'logits').dataSync()[0]);
  const fromProbabilities = tf.tidy(() => classifierLoss(tf.sigmoid(small), smallLabels, 2, 'sigmoid').dataSync()[0]);
  assert.ok(Math.abs(fromLogits - fromProbabilities) < 1e-4, `${fromLogits} vs ${fromProbabilities}`);

  assert.deepEqual(Array.from(tf.tidy(() => predictedClasses(z, 'logits').dataSync())), [0, 0, 1, 1, 1, 0]);
  // the same scores read as sigmoid probabilities: class 1 only above 0.5
  assert.deepEqual(Array.from(tf.tidy(() => predictedClasses(z, 'sigmoid').dataSync())), [0, 0, 0, 1, 1, 0]);
  // served answers: one value a row
  const rows = scores.map((v) => [v]);
  assert.deepEqual(classesOf(rows, 'logits'), [0, 0, 1, 1, 1, 0]);
  assert.deepEqual(classesOf([[0.3], [0.7]], 'sigmoid'), [0, 1]);
  // exactly on the threshold, training, the gate and the served tap all say class 0
  const edge = tf.tensor2d([[0], [0.5]]);
  assert.deepEqual(Array.from(tf.tidy(() => predictedClasses(edge, 'logits').dataSync())), [0, 1]);
  assert.deepEqual(Array.from(tf.tidy(() => predictedClasses(edge, 'sigmoid').dataSync())), [0, 0]);
  assert.deepEqual(classesOf([[0], [0.5]], 'logits'), [0, 1]);
  assert.deepEqual(classesOf([[0], [0.5]], 'sigmoid'), [0, 0]);
  edge.dispose();
  tf.dispose([z, labels, loss, small, smallLabels]);
});

test('outputs by the loss they were trained with: one raw score from logits is two classes; several raw scores or sigmoids trained with binary cross-entropy are multi-label and refused', async () => {
  await useTestBackend();
  const scores = (units: number) =>
    tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 4, activation: 'relu', inputShape: [3], name: 'hidden' }),
        tfl.layers.dense({ units, name: 'scores' }),
      ],
    });
  const bce = { name: 'binary_crossentropy', fromLogits: true };
  const one = scores(1);
  assert.equal(analyseKeras(one, { loss: bce }).spec.output, 'logits');
  const three = scores(3);
  assert.equal(
    analyseKeras(three, { loss: { name: 'sparse_categorical_crossentropy', fromLogits: true } }).spec.output,
    'logits',
  );
  assert.throws(
    () => analyseKeras(three, { loss: bce, source: 'tags.keras' }),
    /^Error: tags\.keras: the output layer 'scores' is 3 raw scores trained with binary_crossentropy from logits: 3 independent yes\/no answers \(multi-label\)/,
  );
  // Keras's usual multi-label head: a sigmoid a class, binary cross-entropy; without a loss, one sigmoid a class
  const sigmoids = tfl.sequential({
    layers: [tfl.layers.dense({ units: 3, activation: 'sigmoid', inputShape: [3], name: 'tags' })],
  });
  assert.throws(
    () => analyseKeras(sigmoids, { loss: { name: 'binary_crossentropy', fromLogits: false } }),
    /the output layer 'tags' is 3 sigmoids trained with binary_crossentropy: 3 independent yes\/no answers/,
  );
  assert.equal(analyseKeras(sigmoids).spec.output, 'sigmoid');
  one.dispose();
  three.dispose();
  sigmoids.dispose();
});

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, tfl } from '../src/tf';
import { selectBackend } from '../src/compute/backend';
import { DataParallelTrainer, sparseCategoricalCrossEntropy } from '../src/compute/data-parallel';
import { ModeChooser } from '../src/compute/data-parallel/mode';

function seededValues(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  });
}

function cnn(): tfl.Sequential {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [10, 10, 2],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(
    tfl.layers.dense({
      units: 4,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  return m;
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    diff = Math.max(diff, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return diff / (scale || 1);
}

const variablesOf = (m: tfl.LayersModel) =>
  m.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());

describe('DataParallelTrainer (one worker thread besides the caller)', () => {
  const batch = 13; // odd: the shares differ in size
  let model: tfl.Sequential;
  let trainer: DataParallelTrainer;
  let x: tf.Tensor;
  let y: tf.Tensor;

  before(async () => {
    await selectBackend('wasm');
    model = cnn();
    x = tf.tensor4d(seededValues(batch * 200, 3), [batch, 10, 10, 2]);
    y = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % 4),
      'int32',
    );
    trainer = await DataParallelTrainer.start(model, { loss: 'sparseCategoricalCrossEntropy', workers: 1 });
  });

  after(async () => {
    await trainer.close();
    model.dispose();
    tf.dispose([x, y]);
  });

  test('the combined gradient and loss equal the whole batch computed on one thread', async () => {
    assert.equal(trainer.threads, 2);
    const vars = variablesOf(model);
    const want = tf.variableGrads(
      () => sparseCategoricalCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y),
      vars,
    );
    for (let round = 0; round < 3; round++) {
      // Later rounds use a split re-balanced by measured speed.
      const got = await trainer.gradients(x, y);
      assert.ok(
        Math.abs(got.loss - want.value.dataSync()[0]) < 1e-5,
        `loss ${got.loss} vs ${want.value.dataSync()[0]}`,
      );
      for (const v of vars) {
        const err = relativeError(got.grads[v.name].dataSync(), want.grads[v.name].dataSync());
        assert.ok(err <= 1e-4, `${v.name}: relative error ${err}`);
      }
      tf.dispose(got.grads);
    }
    tf.dispose([want.value, want.grads]);
  });

  test('gradients of a subset of the weights (an inserted block) match too', async () => {
    const vars = variablesOf(model).slice(2); // the dense head only
    const want = tf.variableGrads(
      () => sparseCategoricalCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y),
      vars,
    );
    const got = await trainer.gradients(x, y, vars);
    assert.deepEqual(Object.keys(got.grads).sort(), vars.map((v) => v.name).sort());
    for (const v of vars)
      assert.ok(relativeError(got.grads[v.name].dataSync(), want.grads[v.name].dataSync()) <= 1e-4, v.name);
    tf.dispose([want.value, want.grads, got.grads]);
    const stray = tf.variable(tf.zeros([2]));
    await assert.rejects(trainer.gradients(x, y, [stray]), /not a weight of the model/);
    stray.dispose();
  });

  test('an Adam step on the threads lands where a single-threaded one does', async () => {
    const twin = cnn();
    twin.setWeights(model.getWeights());
    const adamHere = tf.train.adam(0.01);
    const adamThere = tf.train.adam(0.01);
    for (let i = 0; i < 3; i++) {
      await trainer.step(x, y, adamThere);
      adamHere.minimize(() => sparseCategoricalCrossEntropy(twin.apply(x, { training: true }) as tf.Tensor, y));
    }
    const a = model.getWeights();
    const b = twin.getWeights();
    a.forEach((w, i) => {
      assert.ok(relativeError(w.dataSync(), b[i].dataSync()) <= 1e-4, `weight ${i} differs`);
    });
    twin.dispose();
    adamHere.dispose();
    adamThere.dispose();
  });

  test('a batch smaller than the thread count runs on the caller alone', async () => {
    const [x1, y1] = [tf.slice(x, 0, 1), tf.slice(y, 0, 1)];
    const one = await trainer.gradients(x1, y1);
    tf.dispose([x1, y1]);
    assert.ok(Number.isFinite(one.loss));
    tf.dispose(one.grads);
  });

  test('does not leak tensors per step', async () => {
    const opt = tf.train.sgd(0.01);
    await trainer.step(x, y, opt);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.step(x, y, opt);
    assert.equal(tf.memory().numTensors, before);
    opt.dispose();
  });
});

describe('DataParallelTrainer with two workers', () => {
  test('three shares, down to one row each, still give the whole-batch gradient', async () => {
    await selectBackend('wasm');
    const model = cnn();
    const trainer = await DataParallelTrainer.start(model, { loss: 'sparseCategoricalCrossEntropy', workers: 2 });
    const vars = variablesOf(model);
    for (const batch of [3, 10]) {
      const x = tf.tensor4d(seededValues(batch * 200, 7), [batch, 10, 10, 2]);
      const y = tf.tensor1d(
        Array.from({ length: batch }, (_, i) => (i * 3) % 4),
        'int32',
      );
      const want = tf.variableGrads(
        () => sparseCategoricalCrossEntropy(model.apply(x, { training: true }) as tf.Tensor, y),
        vars,
      );
      const got = await trainer.gradients(x, y);
      for (const v of vars)
        assert.ok(
          relativeError(got.grads[v.name].dataSync(), want.grads[v.name].dataSync()) <= 1e-4,
          `${v.name} at batch ${batch}`,
        );
      tf.dispose([x, y, want.value, want.grads, got.grads]);
    }
    await trainer.close();
    model.dispose();
  });
});

describe('choosing between sharing rows and computing alone', () => {
  test('follows the faster mode and re-measures the other one', () => {
    const c = new ModeChooser(true, 5);
    const run = (msPerRow: Record<'parallel' | 'alone', number>) => {
      const mode = c.next();
      c.record(mode, msPerRow[mode] * 64, 64);
      return mode;
    };
    const slowWorkers = { parallel: 0.5, alone: 0.3 };
    const seen = Array.from({ length: 6 }, () => run(slowWorkers));
    assert.deepEqual(seen, ['parallel', 'parallel', 'alone', 'parallel', 'parallel', 'alone']);
    assert.equal(c.mode, 'alone');
    // The workers' core frees up: the next probe of 'parallel' switches back.
    const fastWorkers = { parallel: 0.2, alone: 0.3 };
    const later = Array.from({ length: 5 }, () => run(fastWorkers));
    assert.deepEqual(later, ['alone', 'alone', 'alone', 'parallel', 'parallel']);
    assert.equal(c.mode, 'parallel');
  });

  test('without adaptation every step is shared', () => {
    const c = new ModeChooser(false);
    for (let i = 0; i < 10; i++) {
      assert.equal(c.next(), 'parallel');
      c.record('parallel', 100, 1);
    }
  });
});

describe('DataParallelTrainer failures', () => {
  test('an error in a worker rejects the step and leaves the trainer usable', async () => {
    await selectBackend('wasm');
    const model = cnn();
    const trainer = await DataParallelTrainer.start(model, {
      loss: { module: require.resolve('./helpers/worker-failing-loss'), export: 'failsInWorkers' },
      workers: 1,
    });
    const x = tf.tensor4d(seededValues(4 * 200, 5), [4, 10, 10, 2]);
    const y = tf.tensor2d(seededValues(16, 6), [4, 4]);
    await assert.rejects(trainer.gradients(x, y), /loss refused in worker/);
    await assert.rejects(trainer.gradients(x, y), /loss refused in worker/);
    await trainer.close();
    await assert.rejects(trainer.gradients(x, y), /closed/);
    model.dispose();
    tf.dispose([x, y]);
  });

  test('a loss the workers cannot find fails at start', async () => {
    const model = cnn();
    await assert.rejects(
      DataParallelTrainer.start(model, {
        loss: { module: require.resolve('./helpers/worker-failing-loss'), export: 'noSuchLoss' },
        workers: 1,
      }),
      /noSuchLoss/,
    );
    model.dispose();
  });
});

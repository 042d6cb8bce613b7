import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { AngleStopper, windowAngleDegrees } from '../src/train/angle-stop';
import { localStep, runLoop, runLoopAsync } from '../src/train/loop';
import { haltAfter, Interlude } from '../src/train/interlude';
import { AbortedError, ProgressEvent } from '../src/train/progress';

/** A tiny least-squares problem: enough to drive the real loop. */
function problem() {
  const x = tf.randomNormal([256, 4], 0, 1, 'float32', 5);
  const w = tf.variable(tf.zeros([4, 1]));
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [3], [0.5]]));
  const batchLoss = (idx: tf.Tensor1D) =>
    tf.losses.meanSquaredError(tf.gather(y, idx), tf.matMul(tf.gather(x, idx), w)) as tf.Scalar;
  return {
    w,
    batchLoss,
    dispose: () =>
      [x, w, y].forEach((t) => {
        t.dispose();
      }),
  };
}

test('angle of a window: 1 point per epoch is 45 degrees, flat is 0', () => {
  assert.ok(Math.abs(windowAngleDegrees([0.9, 0.91, 0.92]) - 45) < 1e-9);
  assert.equal(windowAngleDegrees([0.9, 0.9, 0.9]), 0);
  assert.ok(windowAngleDegrees([0.9, 0.89]) < 0);
});

test('the angle rule stops when a window rises less than gamma times the previous one', () => {
  const stopper = new AngleStopper({ window: 2, gamma: 0.5 });
  const history: number[] = [];
  const feed = (acc: number) => {
    history.push(acc);
    return stopper.shouldStop(history);
  };
  assert.equal(feed(0.5), false);
  assert.equal(feed(0.6), false); // first window: 10 points/epoch
  assert.equal(feed(0.65), false);
  assert.equal(feed(0.7), false); // 5 points/epoch: angle 78.7 > 0.5 * 84.3
  assert.equal(feed(0.705), false);
  assert.equal(feed(0.71), true); // 0.5 points/epoch: 26.6 <= 0.5 * 78.7
  assert.throws(() => new AngleStopper({ window: 1, gamma: 0.5 }), /window must be a whole number >= 2/);
});

test('the loop trains, reports progress with an ETA, and honours an epoch budget', async () => {
  await useTestBackend();
  const p = problem();
  const events: ProgressEvent[] = [];
  const result = await runLoop({
    stage: 'fit',
    count: 256,
    batchSize: 32,
    budget: { epochs: 30 },
    seed: 1,
    optimizer: tf.train.adam(0.1),
    batchLoss: p.batchLoss,
    onProgress: (e) => events.push(e),
  });
  assert.equal(result.epochs.length, 30);
  assert.equal(result.steps, 30 * 8);
  assert.ok(result.epochs[29].loss < result.epochs[0].loss / 10, 'loss did not fall');
  assert.equal(events.length, 240);
  assert.ok(events.every((e, i) => i === 0 || e.fraction >= events[i - 1].fraction));
  assert.ok(events.at(-1)!.fraction === 1 && events[10].etaSeconds !== undefined);
  p.dispose();
});

test('a seconds budget ends training on time, mid-epoch if need be', async () => {
  await useTestBackend();
  const p = problem();
  const result = await runLoop({
    stage: 'fit',
    count: 256,
    batchSize: 1,
    budget: { seconds: 0.3 },
    seed: 1,
    optimizer: tf.train.sgd(0.01),
    batchLoss: p.batchLoss,
  });
  assert.equal(result.stoppedBy, 'seconds');
  assert.ok(result.seconds >= 0.3 && result.seconds < 1.5, `ran ${result.seconds}s`);
  p.dispose();
});

test('abort stops the loop with AbortedError', async () => {
  await useTestBackend();
  const p = problem();
  const controller = new AbortController();
  let steps = 0;
  await assert.rejects(
    () =>
      runLoop({
        stage: 'fit',
        count: 256,
        batchSize: 8,
        budget: { epochs: 100 },
        seed: 1,
        optimizer: tf.train.sgd(0.01),
        batchLoss: p.batchLoss,
        signal: controller.signal,
        onProgress: () => {
          if (++steps === 5) controller.abort();
        },
      }),
    AbortedError,
  );
  assert.equal(steps, 5);
  p.dispose();
});

test('a NaN loss stops the loop with a clear error', async () => {
  await useTestBackend();
  const p = problem();
  await assert.rejects(
    () =>
      runLoop({
        stage: 'stage2',
        count: 256,
        batchSize: 32,
        budget: { epochs: 2 },
        seed: 1,
        optimizer: tf.train.sgd(0.01),
        batchLoss: (idx) => tf.mul(p.batchLoss(idx), NaN) as tf.Scalar,
      }),
    /loss became NaN or infinite in stage2 at epoch 1, step 1/,
  );
  p.dispose();
});

test('an interlude pauses the loop once, after its step count, and may end it (reason halted)', async () => {
  await useTestBackend();
  const p = problem();
  const optimizer = tf.train.adam(0.1);
  const step = localStep({ optimizer, batchLoss: p.batchLoss });
  const seen: [number, boolean][] = [];
  /** An interlude after `afterSteps` that records what it was told and answers `halt`. */
  const recording = (afterSteps: number, halt: boolean): Interlude => ({
    afterSteps,
    run: async (steps, ended) => {
      seen.push([steps, ended]);
      return halt;
    },
  });
  const base = { stage: 'fit', count: 256, batchSize: 32, seed: 1, optimizer, step };
  const goesOn = await runLoopAsync({
    ...base,
    budget: { epochs: 2 },
    interlude: recording(5, false),
  });
  assert.deepEqual(seen, [[5, false]]);
  assert.equal(goesOn.steps, 16);
  assert.equal(goesOn.stoppedBy, 'epochs');
  const halted = await runLoopAsync({ ...base, budget: { epochs: 2 }, interlude: haltAfter(11) });
  assert.equal(halted.steps, 11);
  assert.equal(halted.stoppedBy, 'halted');
  assert.equal(halted.epochs.length, 2, 'the partial epoch is recorded');
  // Not due before the loop ends: it still comes, once, told that the loop had ended.
  seen.length = 0;
  await runLoopAsync({
    ...base,
    budget: { epochs: 1 },
    interlude: recording(100, true),
  });
  assert.deepEqual(seen, [[8, true]]);
  optimizer.dispose();
  p.dispose();
});

test("an interlude's time counts in a seconds budget, and it comes once the loop has run afterSeconds", async () => {
  await useTestBackend();
  const p = problem();
  const optimizer = tf.train.adam(0.1);
  let now = 0;
  let pausedAt: number | undefined;
  const result = await runLoopAsync({
    stage: 'fit',
    count: 256,
    batchSize: 32,
    seed: 1,
    optimizer,
    budget: { seconds: 10 },
    clock: () => now,
    // Each step takes 100 ms on this clock; the pause takes 6 s of it.
    step: (batch) => {
      now += 100;
      return localStep({ optimizer, batchLoss: p.batchLoss })(batch);
    },
    interlude: {
      afterSeconds: 2,
      run: async (steps) => {
        pausedAt = steps;
        now += 6000;
        return false;
      },
    },
  });
  assert.equal(pausedAt, 20);
  assert.equal(result.stoppedBy, 'seconds');
  assert.equal(result.steps, 40, '2 s + the 6 s pause + 2 s of steps');
  optimizer.dispose();
  p.dispose();
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { DEFAULT_MODEL } from './helpers/cli';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { loadModel } from '../src/model/io';
import { grow } from '../src/grow/run';
import { evaluate } from '../src/train/classifier';
import { runLoop } from '../src/train/loop';
import { EarlyStopper } from '../src/train/early-stop';
import { BestCheckpoint } from '../src/train/best-checkpoint';
import { defaultStage2Schedule, LearningRateSchedule, learningRateAt } from '../src/train/schedule';
import { toTensorSet, disposeTensorSet, type TensorSet } from '../src/train/tensors';
import { runStage2, type Stage2Report } from '../src/grow/stage2';
import { lastVersusStart } from '../src/grow/stage2-last-weights';
import { sharingReport, startSharing, workersForIdleCores } from '../src/grow/stage2-sharing';

async function smallSplit() {
  const data = await loadDataset('mnist', {
    inputShape: [28, 28, 1],
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    limit: 1200,
  });
  return splitDataset(data);
}

/** The split's validation part as the parent's head takes it. */
function validationSet(split: Awaited<ReturnType<typeof smallSplit>>, parent: Awaited<ReturnType<typeof loadModel>>) {
  const { normalisation, arch, inputShape } = parent.meta;
  return toTensorSet(split.validation, normalisation, arch.classes, arch.output, inputShape);
}

/** A schedule that multiplies the rate by 2000 from `at` of the budget on: Adam then wrecks the model. */
function wreckingFrom(at: number): LearningRateSchedule {
  return { kind: 'step', peak: 5e-4, warmup: 0, startFactor: 1, endFactor: 1, stepsAt: [at], stepFactor: 2000 };
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

/** The model Stage II handed back is the one its report names: a kept checkpoint, or the last weights. */
function assertHandsBackItsChoice(model: tfl.LayersModel, validation: TensorSet, stage2: Stage2Report): void {
  const accuracy = evaluate(model, validation).accuracy;
  if (stage2.kept) {
    assert.equal(accuracy, stage2.kept.validationAccuracy, 'the returned model is not the kept checkpoint');
    return;
  }
  const compared = stage2.lastVersusStart!;
  assert.equal(compared.worse, false, 'last weights handed back although the validation part shows them worse');
  assert.ok(
    Math.abs(accuracy - (stage2.validationAtStart! + compared.gain)) < 1e-9,
    `the returned model (${accuracy}) is not the last weights (start ${stage2.validationAtStart} + ${compared.gain})`,
  );
}

test('Stage II keeps its last weights unless the paired validation answers show them worse than its start', () => {
  const n = 1000;
  const start = new Uint8Array(n).fill(1);
  const noisy = Uint8Array.from(start, (_, i) => (i < 12 ? 0 : 1));
  for (let i = 12; i < 20; i++) start[i] = 0; // the start alone misses 8, the last weights alone 12
  const tie = lastVersusStart(start, noisy);
  assert.deepEqual([tie.startOnly, tie.lastOnly, tie.worse], [12, 8, false]);
  assert.ok(close(tie.gain, -0.004));
  const wrecked = Uint8Array.from(start, (v, i) => (i < 60 ? 0 : v));
  const worse = lastVersusStart(start, wrecked);
  assert.deepEqual([worse.startOnly, worse.lastOnly, worse.worse], [52, 0, true]);
  const better = lastVersusStart(
    start,
    Uint8Array.from(start, () => 1),
  );
  assert.deepEqual([better.startOnly, better.lastOnly, better.worse], [0, 8, false]);
});

test('the default schedule warms up linearly, then decays by a cosine to 0.05x at the end of the budget', () => {
  const s = defaultStage2Schedule(1e-3);
  assert.ok(close(learningRateAt(s, 0), 1e-4));
  assert.ok(close(learningRateAt(s, 0.05), 1e-4 + 0.5 * 9e-4));
  assert.ok(close(learningRateAt(s, 0.1), 1e-3));
  assert.ok(close(learningRateAt(s, 0.55), 1e-3 * (0.05 + 0.95 * 0.5)));
  assert.ok(close(learningRateAt(s, 1), 5e-5));
  assert.ok(close(learningRateAt(s, 7), 5e-5), 'past the budget the rate stays at its end');
  const step: LearningRateSchedule = {
    kind: 'step',
    peak: 1,
    warmup: 0,
    startFactor: 1,
    endFactor: 0.001,
    stepsAt: [0.5, 0.75],
    stepFactor: 0.1,
  };
  assert.deepEqual(
    [0, 0.49, 0.5, 0.8].map((f) => learningRateAt(step, f)),
    [1, 1, 0.1, 0.1 * 0.1],
  );
});

test('the loop follows the schedule by steps under an epochs budget and by wall time under a seconds budget', async () => {
  await useTestBackend();
  const x = tf.randomNormal([256, 4], 0, 1, 'float32', 5);
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [3], [0.5]]));
  const w = tf.variable(tf.zeros([4, 1]));
  const s = defaultStage2Schedule(0.01);
  const rates: { fraction: number; rate: number; seconds?: number }[] = [];
  const optimizer = tf.train.adam(1);
  const batchLoss = (idx: tf.Tensor1D) => {
    rates.push({ fraction: -1, rate: (optimizer as unknown as { learningRate: number }).learningRate });
    return tf.losses.meanSquaredError(tf.gather(y, idx), tf.matMul(tf.gather(x, idx), w)) as tf.Scalar;
  };
  await runLoop({
    stage: 't',
    count: 256,
    batchSize: 32,
    budget: { epochs: 2 },
    seed: 1,
    optimizer,
    batchLoss,
    learningRate: (f) => learningRateAt(s, f),
  });
  assert.equal(rates.length, 16);
  rates.forEach((r, step) => {
    assert.ok(close(r.rate, learningRateAt(s, step / 16)), `step ${step}: ${r.rate}`);
  });

  rates.length = 0;
  const seen: { rate: number; elapsed: number }[] = [];
  // The loop's clock: each step takes 20 ms of it, so the budget is time, not steps, and the
  // schedule is checked against the time the loop saw, however busy the machine is.
  let now = 0;
  await runLoop({
    stage: 't',
    count: 256,
    batchSize: 32,
    budget: { seconds: 0.6 },
    seed: 1,
    optimizer,
    batchLoss: (idx) => {
      seen.push({ rate: (optimizer as unknown as { learningRate: number }).learningRate, elapsed: now / 1000 });
      now += 20;
      return batchLoss(idx);
    },
    learningRate: (f) => learningRateAt(s, f),
    clock: () => now,
  });
  assert.ok(seen.length >= 29 && seen.length <= 31, `${seen.length} steps in 0.6 s`);
  for (const p of seen) {
    // The rate was set just before the step began, from the elapsed share of 0.6 s.
    assert.ok(Math.abs(p.rate - learningRateAt(s, p.elapsed / 0.6)) < 0.002, `rate ${p.rate} at ${p.elapsed}s`);
  }
  assert.ok(seen.at(-1)!.rate < 0.003, `rate near the end of the time budget ${seen.at(-1)!.rate}`);
  [x, y, w].forEach((t) => {
    t.dispose();
  });
  optimizer.dispose();
});

test('early stopping waits for patience checkpoints without a gain, and not before its share of the budget', () => {
  const stopper = new EarlyStopper({ patience: 2, minDelta: 0, minFraction: 0.5 });
  assert.equal(stopper.shouldStop(0.9, 0.1), false);
  assert.equal(stopper.shouldStop(0.89, 0.2), false);
  assert.equal(stopper.shouldStop(0.9, 0.3), false, 'two without a gain, but only 30% of the budget spent');
  assert.equal(stopper.shouldStop(0.91, 0.6), false, 'a gain resets the count');
  assert.equal(stopper.shouldStop(0.905, 0.7), false);
  assert.equal(stopper.shouldStop(0.91, 0.8), true, 'a tie is no gain');

  const byLoss = new EarlyStopper({ patience: 2, minDelta: 0, minFraction: 0 });
  assert.equal(byLoss.shouldStop(0.9, 0.1, 0.3), false);
  assert.equal(byLoss.shouldStop(0.9, 0.2, 0.28), false, 'a lower loss at the same accuracy is a gain');
  assert.equal(byLoss.shouldStop(0.95, 0.3, 0.29), false);
  assert.equal(byLoss.shouldStop(0.96, 0.4, 0.285), true, 'two without a lower loss, whatever the accuracy');
});

test('the kept checkpoint: the lowest validation loss among those at least as accurate as the start', () => {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
  const best = new BestCheckpoint(model);
  assert.equal(best.offer(0, 0, 0.9, 0.3), true, 'the start');
  assert.equal(best.offer(10, 1, 0.89, 0.2), false, 'below the start on accuracy, whatever its loss');
  assert.equal(best.offer(20, 2, 0.9, 0.25), true, 'as accurate as the start, lower loss');
  assert.equal(best.offer(30, 3, 0.95, 0.26), false, 'more accurate, but a higher loss');
  assert.equal(best.offer(40, 4, 0.92, 0.24), true);
  assert.deepEqual(best.kept, {
    steps: 40,
    seconds: 4,
    validationAccuracy: 0.92,
    validationLoss: 0.24,
    atStart: false,
  });
  const plain = new BestCheckpoint(model);
  plain.offer(0, 0, 0.9);
  assert.equal(plain.offer(10, 1, 0.9), false, 'without losses, a tie keeps the earlier model');
  assert.equal(plain.offer(20, 2, 0.91), true);
  best.dispose();
  plain.dispose();
  model.dispose();
});

test('a Stage II whose last part is made worse: the paired validation answers show it, and its best checkpoint is returned and named', async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const validation = validationSet(split, parent);
  const { model, report } = await grow({
    parent,
    method: 'identity',
    toDepth: 3,
    split,
    budget: { epochs: 2 },
    backend,
    validateEverySamples: 256,
    stage2: { schedule: wreckingFrom(0.6), earlyStop: false },
  });
  const checkpoints = report.curves.at(-1)!.checkpoints!;
  const last = checkpoints.at(-1)!;
  const kept = report.stage2.kept!;
  assert.equal(report.stage2.keep, 'last-unless-worse');
  assert.equal(report.stage2.lastVersusStart?.worse, true, JSON.stringify(report.stage2.lastVersusStart));
  assert.equal(report.stage2.stoppedBy, 'epochs');
  assert.ok(kept.steps < last.steps, `kept step ${kept.steps} of ${last.steps}`);
  const floor = checkpoints[0].validationAccuracy;
  const lowest = checkpoints
    .filter((c) => c.validationAccuracy >= floor)
    .reduce((a, b) => (b.validationLoss! < a.validationLoss! ? b : a));
  assert.equal(kept.steps, lowest.steps, 'the kept checkpoint is not the lowest loss at or above the start');
  assert.ok(kept.validationAccuracy >= floor);
  assert.ok(
    last.validationAccuracy < kept.validationAccuracy - 0.05,
    `last ${last.validationAccuracy} vs kept ${kept.validationAccuracy}: the wrecking part did not wreck`,
  );
  assert.equal(
    evaluate(model, validation).accuracy,
    kept.validationAccuracy,
    'the returned model is not the kept checkpoint',
  );
  assert.equal(report.stage2.schedule.kind, 'step');
  model.dispose();
  disposeTensorSet(validation);
  parent.model.dispose();
});

test('when no Stage II checkpoint beats the model right after insertion, that model is returned; early stopping ends the stage', async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const validation = validationSet(split, parent);
  const baseline = tf.memory().numTensors;
  const { model, report } = await grow({
    parent,
    method: 'dils',
    toDepth: 3,
    split,
    budget: { epochs: 3, init: { epochs: 1 } },
    backend,
    validateEverySamples: 128,
    stage2: { schedule: wreckingFrom(0), earlyStop: { patience: 3, minDelta: 0, minFraction: 0 } },
  });
  const kept = report.stage2.kept!;
  assert.equal(kept.atStart, true);
  assert.equal(kept.steps, 0);
  assert.equal(kept.validationAccuracy, report.stage2.validationAtStart);
  assert.equal(
    evaluate(model, validation).accuracy,
    report.stage2.validationAtStart,
    'below where insertion left it on the validation part',
  );
  assert.equal(
    report.accuracyAfter,
    report.accuracyAfterInsertion,
    'held-out accuracy differs from the model right after insertion',
  );
  assert.equal(report.stage2.stoppedBy, 'early');
  assert.equal(report.curves.at(-1)!.checkpoints!.length, 4, 'start + patience checkpoints');
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by the kept checkpoint');
  disposeTensorSet(validation);
  parent.model.dispose();
});

test('Stage II shares its steps with a worker thread on the other core, and the model it hands back is the trained one', async (t) => {
  const backend = await useTestBackend();
  if (availableParallelism() < 2 || (backend !== 'wasm' && backend !== 'cpu')) {
    t.skip(`one core or a ${backend} backend: nothing to share`);
    return;
  }
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const validation = validationSet(split, parent);
  const baseline = tf.memory().numTensors;
  const { model, report } = await grow({
    parent,
    method: 'identity',
    toDepth: 3,
    split,
    budget: { epochs: 2 },
    backend,
    validateEverySamples: 256,
    stage2: { parallel: true },
  });
  assert.deepEqual(
    Object.keys(report.stage2.parallel ?? {}).sort(),
    ['mode', 'threads'],
    JSON.stringify(report.stage2),
  );
  assert.equal((report.stage2.parallel as { threads: number }).threads, 2);
  assert.ok(report.stage2.steps >= 2, `${report.stage2.steps} steps`);
  assertHandsBackItsChoice(model, validation, report.stage2);
  assert.ok(report.accuracyAfter > 0.5, `held-out ${report.accuracyAfter}`);
  model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by shared steps');
  const alone = await grow({
    parent,
    method: 'identity',
    toDepth: 3,
    split,
    budget: { epochs: 1 },
    backend,
    stage2: { parallel: false },
  });
  assert.equal(alone.report.stage2.parallel, null);
  alone.model.dispose();
  disposeTensorSet(validation);
  parent.model.dispose();
});

test('Stage II starts a worker thread per core that stood idle lately, none below half a core', () => {
  assert.equal(workersForIdleCores(2, 0.3), 0);
  assert.equal(workersForIdleCores(2, 0.5), 1);
  assert.equal(workersForIdleCores(2, 1.9), 1);
  assert.equal(workersForIdleCores(8, 3.4), 3);
  assert.equal(workersForIdleCores(8, 7.6), 7);
});

test('by default Stage II shares no steps on a machine whose cores are all busy, and says so', async (t) => {
  const backend = await useTestBackend();
  if (availableParallelism() < 2 || (backend !== 'wasm' && backend !== 'cpu')) {
    t.skip(`one core or a ${backend} backend: nothing to share`);
    return;
  }
  const parent = await loadModel(DEFAULT_MODEL);
  const loops = Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }),
  );
  try {
    // the first start ends the window that began before the loops; the second sees only them
    const before = await startSharing(parent.model, 'softmax');
    if (before && 'trainer' in before) await before.trainer.close();
    await sleep(400);
    const busy = await startSharing(parent.model, 'softmax');
    if (busy && 'trainer' in busy) await busy.trainer.close();
    assert.match(JSON.stringify(sharingReport(busy)), /^\{"skipped":"no idle core: 0\.\d of \d+ idle lately"\}$/);
    const forced = await startSharing(parent.model, 'softmax', true);
    assert.ok(forced && 'trainer' in forced, JSON.stringify(forced));
    await forced.trainer.close();
  } finally {
    for (const loop of loops) loop.kill('SIGKILL');
    parent.model.dispose();
  }
});

test("Stage II's paired comparison reuses its loop's validations at the start and at the last step", async () => {
  const backend = await useTestBackend();
  const split = await smallSplit();
  const parent = await loadModel(DEFAULT_MODEL);
  const { normalisation, arch, inputShape } = parent.meta;
  const train = toTensorSet(split.train, normalisation, arch.classes, arch.output, inputShape);
  const validation = validationSet(split, parent);
  // every inference pass of the model over validation rows (training steps apply it with training: true)
  let validationRows = 0;
  const apply = parent.model.apply.bind(parent.model);
  parent.model.apply = ((inputs, kwargs) => {
    if (kwargs?.training === false) validationRows += (inputs as tf.Tensor).shape[0];
    return apply(inputs, kwargs);
  }) as typeof parent.model.apply;
  const { loop, report } = await runStage2({
    model: parent.model,
    train,
    validation,
    budget: { epochs: 1 },
    batchSize: 64,
    learningRate: 1e-3,
    seed: 1,
    validateEverySamples: 256,
    options: { parallel: false },
  });
  assert.ok(report.lastVersusStart, `${backend}: ${JSON.stringify(report)}`);
  assert.equal(loop.checkpoints[0].steps, 0);
  assert.equal(loop.checkpoints.at(-1)!.steps, loop.steps);
  assert.equal(validationRows, loop.checkpoints.length * validation.count, 'a validation pass beyond the checkpoints');
  disposeTensorSet(train);
  disposeTensorSet(validation);
  parent.model.dispose();
});

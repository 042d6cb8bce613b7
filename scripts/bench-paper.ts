// npm run bench:paper — the DILS paper's fully connected experiment
// (dils-depth-incremental-learning.txt, sections 4.2 and 4.4.1): a 4-layer ReLU
// net fits y = x1^5 + x2^3 + x3^2 + x4^2 + x5^2 + x6 + x7 + x8 + x9 + x10 from
// 3,000 training and 200 test points uniform in [-1, 1]^10. End-to-end training
// of the 4-layer net is compared with DILS: a 3-layer net trained first, one
// layer inserted with Stage I (eq. 12-15 then local MSE), then Stage II.
// The paper reports convergence after 12,000 (end-to-end) vs 3,000 (DILS) iterations.
import { selectBackend } from '../src/compute/backend';
import { mulberry32 } from '../src/data/random';
import { dilsMethod } from '../src/grow/methods/dils';
import { spreadPlan } from '../src/grow/planner';
import { ArchSpec } from '../src/model/arch';
import { buildModel } from '../src/model/build';
import { familySpec } from '../src/model/families';
import { tf, tfl } from '../src/tf';
import { runLoop } from '../src/train/loop';
import { TensorSet } from '../src/train/tensors';
import { option, printTable, writeResults } from './lib/table';

const FEATURES = 10;

function target(x: Float32Array, i: number): number {
  const v = (j: number) => x[i * FEATURES + j];
  return v(0) ** 5 + v(1) ** 3 + v(2) ** 2 + v(3) ** 2 + v(4) ** 2 + v(5) + v(6) + v(7) + v(8) + v(9);
}

function sample(count: number, seed: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const random = mulberry32(seed);
  const x = new Float32Array(count * FEATURES).map(() => random() * 2 - 1);
  const y = Float32Array.from({ length: count }, (_, i) => target(x, i));
  return { x: tf.tensor2d(x, [count, FEATURES]), y: tf.tensor2d(y, [count, 1]) };
}

function mse(model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor): number {
  return tf.tidy(() => tf.losses.meanSquaredError(y, model.apply(x) as tf.Tensor).dataSync()[0]);
}

interface Curve {
  iterations: number[];
  trainLoss: number[];
  testLoss: number[];
}

/** Trains with Adam and MSE, recording full-batch train and test loss every epoch. */
async function train(
  model: tfl.LayersModel,
  data: { x: tf.Tensor; y: tf.Tensor },
  test: { x: tf.Tensor; y: tf.Tensor },
  iterations: number,
  batch: number,
  lr: number,
  seed: number,
): Promise<Curve> {
  const count = data.x.shape[0];
  const stepsPerEpoch = Math.ceil(count / batch);
  const curve: Curve = { iterations: [], trainLoss: [], testLoss: [] };
  const optimizer = tf.train.adam(lr);
  await runLoop({
    stage: 'fit',
    count,
    batchSize: batch,
    budget: { epochs: Math.ceil(iterations / stepsPerEpoch) },
    seed,
    optimizer,
    batchLoss: (idx) =>
      tf.losses.meanSquaredError(
        tf.gather(data.y, idx),
        model.apply(tf.gather(data.x, idx), { training: true }) as tf.Tensor,
      ) as tf.Scalar,
    afterEpoch: (epoch) => {
      curve.iterations.push((epoch + 1) * stepsPerEpoch);
      curve.trainLoss.push(mse(model, data.x, data.y));
      curve.testLoss.push(mse(model, test.x, test.y));
      return undefined;
    },
  });
  optimizer.dispose();
  return curve;
}

const SMOOTHING_EPOCHS = 10;

/** Training loss averaged over the last SMOOTHING_EPOCHS epochs: Adam's single-epoch spikes are not divergence. */
function smoothed(loss: number[]): number[] {
  return loss.map((_, i) => {
    const window = loss.slice(Math.max(0, i - SMOOTHING_EPOCHS + 1), i + 1);
    return window.reduce((a, b) => a + b, 0) / window.length;
  });
}

/** First iteration count at which the smoothed training loss reaches the target. */
function iterationsToConverge(curve: Curve, targetLoss: number): number | undefined {
  const i = smoothed(curve.trainLoss).findIndex((l) => l <= targetLoss);
  return i === -1 ? undefined : curve.iterations[i];
}

async function run(): Promise<void> {
  const width = Number(option('width', 'BENCH_WIDTH', '64'));
  const maxIterations = Number(option('iterations', 'BENCH_ITERATIONS', '15000'));
  const shallowIterations = Number(option('shallow-iterations', 'BENCH_SHALLOW_ITERATIONS', '3000'));
  const batch = Number(option('batch', 'BENCH_BATCH', '64'));
  const lr = 1e-3;
  const tolerance = 1.1;
  const backend = await selectBackend();
  const trainSet = sample(3000, 1);
  const testSet = sample(200, 2);
  const spec = (depth: number): ArchSpec =>
    familySpec({ family: 'mlp', depth, inputShape: [FEATURES], classes: 1, width, output: 'linear' });
  console.log(
    `bench:paper  backend=${backend.name}  width ${width}  batch ${batch}  Adam lr ${lr}  up to ${maxIterations} iterations  convergence: train MSE (${SMOOTHING_EPOCHS}-epoch mean) within ${tolerance}x of end-to-end's best`,
  );

  const started = () => performance.now();
  let t0 = started();
  const deep = buildModel(spec(3), 11);
  const e2e = await train(deep, trainSet, testSet, maxIterations, batch, lr, 1);
  const e2eSeconds = (performance.now() - t0) / 1000;

  t0 = started();
  const shallowSpec = spec(2);
  const shallow = buildModel(shallowSpec, 12);
  const shallowCurve = await train(shallow, trainSet, testSet, shallowIterations, batch, lr, 2);
  const setFor = (d: { x: tf.Tensor; y: tf.Tensor }): TensorSet => ({
    x: d.x,
    labels: tf.zeros([d.x.shape[0]], 'int32') as tf.Tensor1D,
    count: d.x.shape[0],
    classes: 1,
  });
  const grown = await dilsMethod.initialise({
    parent: shallow,
    parentSpec: shallowSpec,
    plan: spreadPlan(shallowSpec, 3),
    data: { train: setFor(trainSet), validation: setFor(testSet) },
    budget: { epochs: 20 },
    batchSize: batch,
    learningRate: lr,
    seed: 3,
  });
  const afterStage1 = { train: mse(grown.model, trainSet.x, trainSet.y), test: mse(grown.model, testSet.x, testSet.y) };
  const stage1Seconds = (performance.now() - t0) / 1000;
  t0 = started();
  const stage2 = await train(grown.model, trainSet, testSet, maxIterations, batch, lr, 4);
  const stage2Seconds = (performance.now() - t0) / 1000;

  const best = Math.min(...smoothed(e2e.trainLoss));
  const goal = best * tolerance;
  const e2eIters = iterationsToConverge(e2e, goal);
  const dilsIters = iterationsToConverge(stage2, goal);
  const shallowFinal = { train: shallowCurve.trainLoss.at(-1)!, test: shallowCurve.testLoss.at(-1)! };
  const rows = [
    {
      strategy: 'end-to-end (4-layer from random init)',
      iterations: e2eIters,
      withShallow: e2eIters,
      train: e2e.trainLoss.at(-1)!,
      test: e2e.testLoss.at(-1)!,
      seconds: e2eSeconds,
    },
    {
      strategy: 'shallow 3-layer net (DILS parent)',
      iterations: shallowIterations,
      withShallow: shallowIterations,
      train: shallowFinal.train,
      test: shallowFinal.test,
      seconds: stage1Seconds,
    },
    {
      strategy: 'DILS after Stage I (before Stage II)',
      iterations: 0,
      withShallow: shallowIterations,
      train: afterStage1.train,
      test: afterStage1.test,
      seconds: 0,
    },
    {
      strategy: 'DILS Stage II (4-layer)',
      iterations: dilsIters,
      withShallow: dilsIters !== undefined ? dilsIters + shallowIterations : undefined,
      train: stage2.trainLoss.at(-1)!,
      test: stage2.testLoss.at(-1)!,
      seconds: stage2Seconds,
    },
  ];
  console.log(
    `\nconvergence target: train MSE <= ${goal.toExponential(3)} (end-to-end's best ${SMOOTHING_EPOCHS}-epoch mean ${best.toExponential(3)} x ${tolerance})\n`,
  );
  printTable(
    ['strategy', 'iterations to converge', 'incl. shallow training', 'final train MSE', 'final test MSE', 'seconds'],
    rows.map((r) => [
      r.strategy,
      r.iterations ?? 'not reached',
      r.withShallow ?? 'not reached',
      r.train.toExponential(3),
      r.test.toExponential(3),
      Number(r.seconds.toFixed(1)),
    ]),
  );
  const thresholds = [4, 2, 1.5, 1.1].map((factor) => {
    const level = best * factor;
    const e = iterationsToConverge(e2e, level);
    const d = iterationsToConverge(stage2, level);
    return {
      factor,
      level,
      endToEnd: e,
      dilsStage2: d,
      dilsWithShallow: d !== undefined ? d + shallowIterations : undefined,
    };
  });
  console.log(
    `\niterations until the ${SMOOTHING_EPOCHS}-epoch mean train MSE reaches a multiple of end-to-end's best:\n`,
  );
  printTable(
    ['target', 'train MSE', 'end-to-end', 'DILS Stage II', 'DILS incl. shallow'],
    thresholds.map((t) => [
      `${t.factor}x best`,
      t.level.toExponential(2),
      t.endToEnd ?? 'not reached',
      t.dilsStage2 ?? 'not reached',
      t.dilsWithShallow ?? 'not reached',
    ]),
  );
  console.log('\npaper (Figure 5 / section 4.4.1): end-to-end 12,000 iterations, DILS 3,000');
  const path = writeResults('paper', {
    backend: backend.name,
    width,
    batch,
    lr,
    maxIterations,
    shallowIterations,
    tolerance,
    goal,
    rows,
    thresholds,
    stage1: grown.details,
    curves: { e2e, shallow: shallowCurve, dilsStage2: stage2 },
  });
  console.log(`wrote ${path}`);
}

void run().catch((err) => {
  console.error(`bench:paper: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});

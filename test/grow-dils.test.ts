import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { loadDataset } from '../src/data/load';
import { splitDataset } from '../src/data/split';
import { computeNormalisation } from '../src/data/normalise';
import { loadSplitForModel } from '../src/data/for-model';
import { familySpec } from '../src/model/families';
import { ArchSpec } from '../src/model/arch';
import { buildModel } from '../src/model/build';
import { computeFeatures } from '../src/model/features';
import { loadModel } from '../src/model/io';
import { insertBlocks } from '../src/model/surgery';
import { evaluate, trainClassifier } from '../src/train/classifier';
import { TensorSet, disposeTensorSet, toTensorSet } from '../src/train/tensors';
import { AbortedError } from '../src/train/progress';
import { spreadPlan } from '../src/grow/planner';
import { grow } from '../src/grow/run';
import { GrowthData, Initialised } from '../src/grow/types';
import { createDilsMethod, dilsMethod } from '../src/grow/methods/dils';
import { methodByName } from '../src/grow/methods';
import { choleskyInPlace, choleskySolveInPlace } from '../src/util/linalg';
import { maskedLeastSquares } from '../src/grow/dils/masked-lsq';
import { splitDenseLayer, DEFAULT_DENSE_SPLIT } from '../src/grow/dils/dense-split';
import { buildLocalModel } from '../src/grow/dils/local-model';
import { restandardiseBatchNorm } from '../src/grow/dils/batchnorm-stats';
import { fitSite, SiteReport } from '../src/grow/dils/fit-site';
import { sitesOf } from '../src/grow/dils/site';
import { DEFAULT_DILS } from '../src/grow/dils/options';
import { pendingLowestErrorPlan } from '../src/grow/dils/placement';

const SHIPPED_MODEL = resolve(__dirname, '../../models/default');

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function sitesOfDetails(init: Initialised): SiteReport[] {
  return init.details.sites as SiteReport[];
}

interface Trained {
  spec: ArchSpec;
  parent: tfl.LayersModel;
  data: GrowthData;
  test: TensorSet;
  accuracy: number;
}

/** A small model of `family` trained on the mnist digits for a few seconds (memoised per family). */
const trained = new Map<string, Promise<Trained>>();
function trainedModel(family: 'mlp' | 'conv'): Promise<Trained> {
  let promise = trained.get(family);
  if (!promise) {
    promise = (async () => {
      await useTestBackend();
      const split = splitDataset(await loadDataset('mnist'));
      const norm = computeNormalisation(split.train);
      const data = { train: toTensorSet(split.train, norm, 10), validation: toTensorSet(split.validation, norm, 10) };
      const test = toTensorSet(split.test, norm, 10);
      const spec = familySpec({
        family,
        depth: 2,
        inputShape: [28, 28, 1],
        classes: 10,
        width: family === 'mlp' ? 64 : 8,
      });
      const parent = buildModel(spec, 3);
      await trainClassifier(parent, data.train, {
        stage: 'train',
        budget: { epochs: family === 'mlp' ? 3 : 2 },
        batchSize: 64,
        learningRate: 1e-3,
        seed: 5,
      });
      return { spec, parent, data, test, accuracy: evaluate(parent, test).accuracy };
    })();
    trained.set(family, promise);
  }
  return promise;
}

test('linalg: Cholesky solves a known SPD system', () => {
  // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], X = [[1, -1], [2, 0], [-3, 4]], B = A X.
  const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
  const x = [1, -1, 2, 0, -3, 4];
  const b = new Float64Array(6);
  for (let i = 0; i < 3; i++)
    for (let c = 0; c < 2; c++) for (let k = 0; k < 3; k++) b[i * 2 + c] += a[i * 3 + k] * x[k * 2 + c];
  choleskyInPlace(a, 3);
  choleskySolveInPlace(a, 3, b, 2);
  b.forEach((v, i) => {
    assert.ok(Math.abs(v - x[i]) < 1e-12, `x[${i}] = ${v}, expected ${x[i]}`);
  });
});

test('eq. 15: masked least squares recovers known weights and ignores masked-out entries (Cholesky and CG)', async () => {
  await useTestBackend();
  const n = 400;
  const p = 7;
  const d = 5;
  const x = tf.concat([tf.randomNormal([n, p - 1], 0, 1, 'float32', 11), tf.ones([n, 1])], 1) as tf.Tensor2D;
  const wTrue = tf.randomNormal([p, d], 0, 1, 'float32', 12) as tf.Tensor2D;
  const mask = tf.cast(tf.greater(tf.randomUniform([n, d], 0, 1, 'float32', 13), 0.4), 'float32') as tf.Tensor2D;
  // Exact where the mask is 1, large garbage where it is 0: an unmasked fit would be far off.
  const garbage = tf.randomUniform([n, d], 5, 50, 'float32', 14);
  const target = tf.add(tf.mul(mask, tf.matMul(x, wTrue)), tf.mul(tf.sub(1, mask), garbage)) as tf.Tensor2D;
  for (const solver of ['cholesky', 'cg'] as const) {
    const result = maskedLeastSquares(x, target, mask, { solver, ridge: 1e-9, iterations: 200, tolerance: 1e-7 });
    assert.equal(result.solver, solver);
    const err = maxAbsDiff(result.weights, wTrue);
    assert.ok(err < 1e-3, `${solver}: max weight error ${err}`);
    result.weights.dispose();
  }
  // A unit active on no sample gets zero weights.
  const deadMask = tf.concat([tf.zeros([n, 1]), tf.slice(mask, [0, 1], [-1, -1])], 1) as tf.Tensor2D;
  const dead = maskedLeastSquares(x, target, deadMask, { solver: 'cholesky' });
  assert.equal(dead.deadUnits, 1);
  assert.equal(
    tf.tidy(() => tf.max(tf.abs(tf.slice(dead.weights, [0, 0], [-1, 1]))).dataSync()[0]),
    0,
  );
  tf.dispose([x, wTrue, mask, garbage, target, deadMask, dead.weights]);
});

test('eq. 12-15: the sparse-coding split of a trained dense layer beats a random pair and reproduces it on held-out features', async () => {
  const { parent, data } = await trainedModel('mlp');
  const [zTrain] = computeFeatures(parent, ['b0_act'], tf.slice(data.train.x, 0, data.train.count));
  const pick = tf.tensor1d(
    Array.from({ length: 2000 }, (_, i) => Math.floor((i * data.train.count) / 2000)),
    'int32',
  );
  const z = tf.gather(zTrain, pick) as tf.Tensor2D;
  const [zHeld, hHeld] = computeFeatures(parent, ['b0_act', 'b1_act'], data.validation.x) as tf.Tensor2D[];
  const [kernel, bias] = parent.getLayer('b1_dense').getWeights() as [tf.Tensor2D, tf.Tensor1D];
  const { weights, report } = splitDenseLayer(z, kernel, bias, DEFAULT_DENSE_SPLIT);

  // Eq. 14's objective falls at every accepted alternation, far below its start.
  const objectives = report.eq14Objectives;
  for (let i = 1; i < objectives.length; i++)
    assert.ok(objectives[i] <= objectives[i - 1], `eq. 14 objective rose: ${objectives}`);
  assert.ok(objectives.at(-1)! < objectives[0] / 5, `eq. 14 objective ${objectives[0]} -> ${objectives.at(-1)}`);

  // f∘g on held-out features (validation split), against the parent's h_m.
  const pair = (g: tf.Tensor2D, gb: tf.Tensor1D, f: tf.Tensor2D, fb: tf.Tensor1D) =>
    tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(zHeld, g), gb)), f), fb)));
  const mse = (y: tf.Tensor) => tf.tidy(() => tf.mean(tf.square(tf.sub(y, hHeld))).dataSync()[0]);
  const energy = tf.tidy(() => tf.mean(tf.square(hHeld)).dataSync()[0]);
  const fitted = mse(pair(weights.gKernel, weights.gBias, weights.fKernel, weights.fBias));
  const he = (fanIn: number, shape: [number, number], seed: number) =>
    tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', seed) as tf.Tensor2D;
  const random = mse(pair(he(64, [64, 64], 21), tf.zeros([64]), he(64, [64, 64], 22), tf.zeros([64])));
  assert.ok(fitted < random / 20, `eq. 12-15 local MSE ${fitted} is not far below a random pair's ${random}`);
  assert.ok(fitted / energy < 0.02, `held-out relative error ${fitted / energy} (mse ${fitted}, mean h^2 ${energy})`);
  tf.dispose([zTrain, pick, z, zHeld, hHeld, weights.gKernel, weights.gBias, weights.fKernel, weights.fBias]);
});

test('DILS Stage I on a trained MLP loses at most 1 point of held-out accuracy (eq. 12-15 then eq. 7)', async () => {
  const { spec, parent, data, test: held, accuracy } = await trainedModel('mlp');
  assert.ok(accuracy > 0.85, `the trained MLP reached only ${accuracy}`);
  const stages = new Set<string>();
  const init = await dilsMethod.initialise({
    parent,
    parentSpec: spec,
    plan: spreadPlan(spec, 4),
    data,
    budget: { epochs: 2 },
    batchSize: 64,
    learningRate: 5e-4,
    seed: 1,
    onProgress: (e) => stages.add(`${e.stage}:${e.detail?.split(':')[0]}`),
  });
  const after = evaluate(init.model, held).accuracy;
  assert.ok(
    accuracy - after <= 0.01,
    `Stage I lost ${((accuracy - after) * 100).toFixed(2)} points (${accuracy} -> ${after})`,
  );
  const sites = sitesOfDetails(init);
  assert.deepEqual(
    sites.map((s) => s.site),
    ['b0 -> b0+b2', 'b1 -> b1+b3'],
  );
  for (const s of sites) {
    assert.equal(s.start, 'eq12-15');
    assert.ok(
      s.heldOutError.final.relative < 0.02,
      `${s.site}: held-out relative error ${s.heldOutError.final.relative}`,
    );
    assert.ok(s.heldOutError.final.mse <= s.heldOutError.start.mse, `${s.site}: eq. 7 fit made the local error worse`);
  }
  // b0 sees the 784 pixels (batched CG for eq. 15), b1 the 64 units (per-unit Cholesky).
  assert.deepEqual(
    sites.map((s) => s.dense?.eq15.solver),
    ['cg', 'cholesky'],
  );
  assert.deepEqual(
    init.curves.map((c) => [c.stage, c.metric, c.detail]),
    [
      ['stage1', 'mse', 'b0 -> b0+b2'],
      ['stage1', 'mse', 'b1 -> b1+b3'],
    ],
  );
  assert.ok(stages.has('stage1:b0 -> b0+b2') && stages.has('stage1:b1 -> b1+b3'), `progress events: ${[...stages]}`);
  assert.equal(init.plan?.strategy, 'spread');
  init.model.dispose();
});

test('DILS lowest-error placement scores every site and puts the block where Stage I error is lowest; abort stops it', async () => {
  const { spec, parent, data } = await trainedModel('mlp');
  const init = await createDilsMethod({ maxSamplesDense: 1000 }).initialise({
    parent,
    parentSpec: spec,
    plan: pendingLowestErrorPlan(spec, 3),
    data,
    budget: { epochs: 1 },
    batchSize: 64,
    learningRate: 5e-4,
    seed: 1,
  });
  const plan = init.plan!;
  assert.equal(plan.strategy, 'lowest-error');
  const errors = plan.candidateErrors!;
  assert.deepEqual(
    errors.map((e) => e.afterIndex),
    [0, 1],
  );
  const best = [...errors].sort((a, b) => a.error - b.error)[0].afterIndex;
  assert.deepEqual(plan.afterIndices, [best]);
  assert.equal(init.insertions[0].afterIndex, best);
  assert.deepEqual(init.details.plan, plan);
  init.model.dispose();

  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    dilsMethod.initialise({
      parent,
      parentSpec: spec,
      plan: spreadPlan(spec, 3),
      data,
      budget: { epochs: 1 },
      batchSize: 64,
      learningRate: 5e-4,
      seed: 1,
      signal: controller.signal,
    }),
    AbortedError,
  );
});

test('DILS Stage I on a trained conv net loses at most 1 point (eq. 19-20); identity-started f fits better than He in the same budget', async () => {
  const { spec, parent, data, test: held, accuracy } = await trainedModel('conv');
  assert.ok(accuracy > 0.85, `the trained conv net reached only ${accuracy}`);
  const init = await dilsMethod.initialise({
    parent,
    parentSpec: spec,
    plan: spreadPlan(spec, 3),
    data,
    budget: { epochs: 2 },
    batchSize: 64,
    learningRate: 5e-4,
    seed: 1,
  });
  const after = evaluate(init.model, held).accuracy;
  assert.ok(
    accuracy - after <= 0.01,
    `Stage I lost ${((accuracy - after) * 100).toFixed(2)} points (${accuracy} -> ${after})`,
  );
  const [site] = sitesOfDetails(init);
  assert.equal(site.start, 'parent+identity');
  assert.ok(site.heldOutError.final.relative < 1e-3, `held-out relative error ${site.heldOutError.final.relative}`);
  // The pool moved behind the new block, which works at b1's resolution.
  assert.deepEqual(
    init.spec.blocks.map((b) => (b.kind === 'conv' ? b.poolAfter : null)),
    [true, false, true],
  );
  init.model.dispose();

  const { spec: grownSpec, insertions } = insertBlocks(spec, [1]);
  const [only] = sitesOf(spec, grownSpec, insertions);
  const relative = async (fInit: 'identity' | 'he') => {
    const fit = await fitSite(only, {
      parent,
      parentSpec: spec,
      data,
      budget: { epochs: 1 },
      batchSize: 64,
      learningRate: 5e-4,
      seed: 2,
      options: { ...DEFAULT_DILS, fInit, maxSamplesConv: 600, heldOutSamples: 200 },
      progressOffset: 0,
      progressShare: 1,
    });
    fit.local.dispose();
    return fit.report.heldOutError.final.relative;
  };
  const identity = await relative('identity');
  const he = await relative('he');
  assert.ok(identity < he, `identity start ${identity} vs He ${he}`);
});

test('BatchNorm: Stage I keeps the grown model exact in inference mode and restandardises moving statistics for Stage II', async () => {
  await useTestBackend();
  const spec = familySpec({ family: 'conv', depth: 2, inputShape: [12, 12, 1], classes: 4, width: 4, batchNorm: true });
  const parent = buildModel(spec, 9);
  for (const layer of parent.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const [g, b, m, v] = layer.getWeights();
    tf.tidy(() =>
      layer.setWeights([
        tf.randomUniform(g.shape, 0.5, 1.5),
        tf.randomNormal(b.shape, 0, 0.2),
        tf.randomNormal(m.shape, 0, 0.2),
        tf.randomUniform(v.shape, 0.5, 2),
      ]),
    );
  }
  const set = (count: number, seed: number): TensorSet => ({
    x: tf.randomNormal([count, 12, 12, 1], 0, 1, 'float32', seed),
    labels: tf.zeros([count], 'int32') as tf.Tensor1D,
    count,
    classes: 4,
  });
  const data = { train: set(256, 31), validation: set(64, 32) };
  const baseline = tf.memory().numTensors;
  const init = await dilsMethod.initialise({
    parent,
    parentSpec: spec,
    plan: spreadPlan(spec, 4),
    data,
    budget: { epochs: 2 },
    batchSize: 32,
    learningRate: 5e-4,
    seed: 1,
  });
  const x = data.validation.x;
  const before = parent.apply(x, { training: false }) as tf.Tensor;
  const inference = init.model.apply(x, { training: false }) as tf.Tensor;
  assert.ok(
    maxAbsDiff(before, inference) < 0.02,
    `grown model moved by ${maxAbsDiff(before, inference)} in inference mode`,
  );
  for (const s of sitesOfDetails(init))
    assert.equal(s.batchNormRestandardised.length, 2, `${s.site}: g's and f's BatchNorm`);
  tf.dispose([before, inference]);
  init.model.dispose();
  assert.equal(tf.memory().numTensors, baseline, 'tensors leaked by DILS Stage I');

  // Restandardising alone: the inference function is unchanged and batch statistics now match the moving ones.
  const [site] = sitesOf(spec, insertBlocks(spec, [0]).spec, insertBlocks(spec, [0]).insertions);
  const local = buildLocalModel(site, [12, 12, 1]);
  for (const layer of local.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
    const [g, b, m, v] = layer.getWeights();
    tf.tidy(() =>
      layer.setWeights([
        tf.randomUniform(g.shape, 0.5, 1.5),
        tf.randomNormal(b.shape, 0, 0.2),
        tf.randomNormal(m.shape, 0, 0.2),
        tf.randomUniform(v.shape, 0.5, 2),
      ]),
    );
  }
  const z = data.train.x;
  // Training mode uses batch statistics (and nudges the moving ones), so it comes first.
  const trainingBefore = local.apply(z, { training: true }) as tf.Tensor;
  const old = local.apply(z, { training: false }) as tf.Tensor;
  assert.equal(restandardiseBatchNorm(local, z).length, 2);
  const now = local.apply(z, { training: false }) as tf.Tensor;
  const trainingAfter = local.apply(z, { training: true }) as tf.Tensor;
  assert.ok(maxAbsDiff(old, now) < 1e-4, `restandardising changed the inference output by ${maxAbsDiff(old, now)}`);
  assert.ok(maxAbsDiff(trainingBefore, old) > 0.1, 'the perturbed statistics should make training mode differ');
  assert.ok(
    maxAbsDiff(trainingAfter, now) < 1e-3,
    `training mode differs from inference by ${maxAbsDiff(trainingAfter, now)} after restandardising`,
  );
  tf.dispose([old, now, trainingBefore, trainingAfter]);
  local.dispose();
  parent.dispose();
  disposeTensorSet(data.train);
  disposeTensorSet(data.validation);
});

test('shipped model: DILS Stage I loses at most 1 point and Stage II ends above the shallow model', async () => {
  const backend = await useTestBackend();
  assert.equal(methodByName('dils'), dilsMethod);
  const parent = await loadModel(SHIPPED_MODEL);
  const split = await loadSplitForModel('mnist', { inputShape: parent.meta.inputShape, labels: parent.meta.labels });
  const { model, report } = await grow({
    parent,
    method: 'dils',
    toDepth: 3,
    split,
    budget: { epochs: 2, init: { epochs: 2 } },
    backend,
  });
  const drop = report.accuracyBefore - report.accuracyAfterInsertion;
  assert.ok(drop <= 0.01, `Stage I lost ${(drop * 100).toFixed(2)} points`);
  assert.ok(
    report.accuracyAfter > report.accuracyBefore,
    `Stage II ended at ${report.accuracyAfter}, the shallow model has ${report.accuracyBefore}`,
  );
  assert.equal(report.depthAfter, 3);
  assert.ok(report.curves.some((c) => c.stage === 'stage1' && c.metric === 'mse'));
  model.dispose();
  parent.model.dispose();
});

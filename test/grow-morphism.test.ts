import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { tf, tfl } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { familySpec } from '../src/model/families';
import { buildModel, layerNames } from '../src/model/build';
import { ArchSpec, Family } from '../src/model/arch';
import { morphismMethod } from '../src/grow/methods/morphism';
import { explicitPlan, spreadPlan } from '../src/grow/planner';
import { InitialiseContext, InsertionPlan } from '../src/grow/types';
import { TensorSet } from '../src/train/tensors';
import { ProgressEvent } from '../src/train/progress';
import { optimalStep } from '../src/grow/morphism/optimal-step';
import { optGD } from '../src/grow/morphism/optgd';
import { convComposition, padKernel } from '../src/grow/morphism/conv-composition';
import { decomposeConv } from '../src/grow/morphism/conv-decomposition';
import { openModelWithData } from '../src/model/open';
import { exportConverterDir } from './helpers/user-models';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function relativeError(approx: tf.Tensor, exact: tf.Tensor): number {
  return tf.tidy(() =>
    Math.sqrt(tf.sum(tf.square(tf.sub(approx, exact))).dataSync()[0] / tf.sum(tf.square(exact)).dataSync()[0]),
  );
}

/** Random BatchNorm weights and statistics, so that keeping them is actually tested. */
function perturbBatchNorm(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
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
}

/** Sets every BatchNorm's moving statistics to the statistics of its input on x, as training would leave them. */
function calibrateBatchNorm(model: tfl.LayersModel, x: tf.Tensor): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [g, b] = layer.getWeights();
    const tap = tfl.model({ inputs: model.inputs, outputs: layer.input as tfl.SymbolicTensor });
    const { mean, variance } = tf.tidy(() => tf.moments(tap.predict(x) as tf.Tensor, [0, 1, 2]));
    layer.setWeights([g, b, mean, variance]);
    tf.dispose([mean, variance]);
  }
}

function trainSet(spec: ArchSpec, count: number, seed: number): TensorSet {
  return {
    x: tf.randomUniform([count, ...spec.inputShape], 0, 1, 'float32', seed),
    labels: tf.zeros([count], 'int32') as tf.Tensor1D,
    count,
    classes: spec.classes,
  };
}

function context(
  parent: tfl.LayersModel,
  spec: ArchSpec,
  plan: InsertionPlan,
  train: TensorSet | undefined,
  extra: Partial<InitialiseContext> = {},
): InitialiseContext {
  const data = train ? { train, validation: train } : { train: {} as TensorSet, validation: {} as TensorSet };
  return {
    parent,
    parentSpec: spec,
    plan,
    data,
    budget: { seconds: 20 },
    batchSize: 16,
    learningRate: 1e-3,
    seed: 1,
    ...extra,
  };
}

// eq. 7 with the paper's worked example (section 3.4, Fig. 6b).
test('eq. 7: the optimal step from three loss samples matches the paper example (11.12)', () => {
  const eta = optimalStep(0.17836769, 0.15257044, 0.12920338, 1);
  assert.ok(eta !== undefined && Math.abs(eta - 11.12) < 0.005, `eta_opt = ${eta}`);
  // Any parabola: samples at 0, alpha, 2 alpha give its minimum whatever alpha is.
  const l = (x: number) => 3 * (x - 0.7) ** 2 + 0.25;
  for (const alpha of [0.01, 0.5, 4]) {
    assert.ok(Math.abs(optimalStep(l(0), l(alpha), l(2 * alpha), alpha)! - 0.7) < 1e-9);
  }
  // A concave (or flat) fit has no minimum.
  assert.equal(optimalStep(1, 1.5, 1.8, 1), undefined);
});

test('optGD decomposes a random 3x3 conv into two 3x3 convs (eq. 5) and beats fixed-step gradient descent', async () => {
  await useTestBackend();
  const c = 32;
  const g = tf.randomNormal([3, 3, c, c], 0, 0.1, 'float32', 11) as tf.Tensor4D;
  const d = decomposeConv(g, 3, { seed: 5, maxIterations: 500, tolerance: 1e-4 });
  assert.deepEqual(d.first.shape, [3, 3, c, c]);
  assert.deepEqual(d.second.shape, [3, 3, c, c]);
  // Check with the full 3x3 (*) 3x3 composition against G zero-padded to 5x5.
  const composed = convComposition(3, 3, c, c, c).compose(d.first, d.second);
  const target = padKernel(g, 5);
  const error = relativeError(composed, target);
  console.log(
    `optGD 3x3 -> 3x3 + 3x3, C = ${c}: relative error ${error.toExponential(2)} after ${d.iterations} iterations, ${d.seconds.toFixed(3)} s`,
  );
  assert.ok(error < 1e-3, `relative error ${error}`);
  assert.ok(
    Math.abs(d.firstStd - d.secondStd * 3) / d.firstStd < 0.05,
    'balanced: equal std on the solved (centre) taps',
  );

  // Same problem, same start, same number of iterations: eq. 7's step against fixed steps.
  const iterations = 15;
  const map = convComposition(3, 1, c, c, c);
  const normalised = tf.div(g, tf.sqrt(tf.moments(g).variance));
  const start = () => [
    tf.randomNormal([3, 3, c, c], 0, 1, 'float32', 5),
    tf.randomNormal([1, 1, c, c], 0, Math.sqrt(2 / c), 'float32', 6),
  ];
  const run = (fixedStep?: number) => {
    const [a, b] = start();
    const r = optGD(
      map,
      normalised,
      a,
      b,
      { maxIterations: iterations, tolerance: 0 },
      fixedStep === undefined ? undefined : { fixedStep },
    );
    tf.dispose([r.first, r.second]);
    return r.relativeError;
  };
  const optimal = run();
  const fixed = [1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1].map((s) => ({ s, error: run(s) }));
  console.log(
    `after ${iterations} iterations: optGD ${optimal.toExponential(2)}; fixed steps ${fixed.map((f) => `${f.s}: ${f.error.toExponential(2)}`).join(', ')}`,
  );
  for (const f of fixed) assert.ok(!(f.error <= optimal), `fixed step ${f.s} reached ${f.error} <= optGD ${optimal}`);
  tf.dispose([g, d.first, d.second, composed, target, normalised]);
});

interface FamilyCase {
  family: Family;
  inputShape: number[];
  batchNorm?: boolean;
  residualRatio?: number;
  width: number;
}

const FAMILY_CASES: FamilyCase[] = [
  { family: 'mlp', inputShape: [12], width: 32 },
  { family: 'mlp', inputShape: [8, 8, 1], width: 32 },
  { family: 'conv', inputShape: [16, 16, 3], width: 16 },
  { family: 'conv', inputShape: [16, 16, 3], width: 16, batchNorm: true },
  { family: 'resnet', inputShape: [16, 16, 3], width: 16, residualRatio: 0.5 },
  { family: 'resnet', inputShape: [16, 16, 3], width: 16, residualRatio: 1 },
];

// Outputs are softmax probabilities. The decompositions reach ~1e-4 relative
// error and the split is exact at the image border (F_{l+1} acts on the centre
// tap), so the measured drift is ~1e-5; 1e-3 leaves room for other seeds.
const OUTPUT_TOLERANCE = 1e-3;

test('morphism keeps the network function for mlp, conv and resnet, with a PReLU at a = 1 at each PlainNet split', async () => {
  await useTestBackend();
  for (const c of FAMILY_CASES) {
    const tensorsAtStart = tf.memory().numTensors;
    const spec = familySpec({
      family: c.family,
      depth: 2,
      inputShape: c.inputShape,
      classes: 5,
      width: c.width,
      batchNorm: c.batchNorm,
      residualRatio: c.residualRatio,
    });
    const parent = buildModel(spec);
    perturbBatchNorm(parent);
    const train = trainSet(spec, 64, 3);
    const x = tf.randomUniform([16, ...spec.inputShape], 0, 1, 'float32', 4);
    const before = parent.predict(x) as tf.Tensor;
    // Two sites: one new block after each parent block, plus a chain (two after block 0).
    const grown = await morphismMethod.initialise(context(parent, spec, explicitPlan(spec, [0, 0, 1]), train));
    assert.equal(grown.spec.blocks.length, 5);
    const after = grown.model.predict(x) as tf.Tensor;
    const drift = maxAbsDiff(before, after);
    const details = grown.details as { maxRelativeError: number; totalIterations: number; totalSeconds: number };
    const name = `${c.family}${c.batchNorm ? '+bn' : ''}${c.residualRatio !== undefined ? ` r=${c.residualRatio}` : ''} [${c.inputShape}]`;
    console.log(
      `${name}: output drift ${drift.toExponential(2)}, worst decomposition ${details.maxRelativeError.toExponential(2)}, ${details.totalIterations} iterations, ${details.totalSeconds.toFixed(2)} s`,
    );
    assert.ok(drift <= OUTPUT_TOLERANCE, `${name}: outputs moved by ${drift}`);
    assert.ok(grown.model.countParams() > parent.countParams());

    // eq. 8: every PlainNet split has a PReLU with a = 1; the last block of each chain keeps the ReLU.
    for (let i = 0; i < grown.spec.blocks.length; i++) {
      const b = grown.spec.blocks[i];
      if (b.kind === 'res') continue;
      const act = grown.model.getLayer(b.kind === 'dense' ? layerNames.dense(b.name).act : layerNames.conv(b.name).act);
      const splitAfter = grown.insertions.some((ins) => ins.inserted === grown.spec.blocks[i + 1]?.name);
      if (splitAfter) {
        assert.equal(act.getClassName(), 'PReLU', `${name}: ${b.name} is split and must end in a PReLU`);
        const alpha = act.getWeights()[0].dataSync();
        assert.ok(
          alpha.every((a) => a === 1),
          `${name}: ${b.name}'s PReLU must start at a = 1`,
        );
      } else {
        assert.equal(act.getClassName(), 'ReLU', `${name}: ${b.name} keeps its ReLU`);
      }
    }
    tf.dispose([x, before, after, train.x, train.labels]);
    parent.dispose();
    grown.model.dispose();
    assert.equal(tf.memory().numTensors, tensorsAtStart, `${name}: tensors leaked`);
  }
});

test('conv with BatchNorm: the data-variance BatchNorm keeps the function in training mode too', async () => {
  await useTestBackend();
  const spec = familySpec({
    family: 'conv',
    depth: 2,
    inputShape: [16, 16, 3],
    classes: 5,
    width: 16,
    batchNorm: true,
  });
  const parent = buildModel(spec);
  perturbBatchNorm(parent);
  const train = trainSet(spec, 256, 7);
  // Moving statistics as training leaves them (~ batch statistics), else training mode differs from inference anyway.
  calibrateBatchNorm(parent, train.x);
  // The batch is the sample the statistics were measured on, so that batch statistics equal them:
  // what is left is the construction's own error, not BatchNorm's sampling noise.
  const batch = tf.slice(train.x, 0, 256);
  const trainingMode = (m: tfl.LayersModel) => m.apply(batch, { training: true }) as tf.Tensor;
  const before = trainingMode(parent);
  const plan = spreadPlan(spec, 3);
  const withData = await morphismMethod.initialise(context(parent, spec, plan, train));
  const withoutData = await morphismMethod.initialise(context(parent, spec, plan, undefined));
  const driftData = maxAbsDiff(before, trainingMode(withData.model));
  const driftIdentity = maxAbsDiff(before, trainingMode(withoutData.model));
  console.log(
    `training-mode drift: data-variance BatchNorm ${driftData.toExponential(2)}, identity statistics ${driftIdentity.toExponential(2)}`,
  );
  assert.equal((withData.details as { sites: { batchNorm: string }[] }).sites[0].batchNorm, 'data-variance');
  assert.ok(driftData < 2e-3, `training-mode drift ${driftData}`);
  assert.ok(driftData < driftIdentity, 'data variance should beat identity statistics in training mode');
  tf.dispose([batch, before, train.x, train.labels]);
  [parent, withData.model, withoutData.model].forEach((m) => {
    m.dispose();
  });
});

test('morphism reports progress, details and an mse curve per site, honours the budget and aborts', async () => {
  await useTestBackend();
  const spec = familySpec({ family: 'conv', depth: 2, inputShape: [8, 8, 1], classes: 3, width: 8 });
  const parent = buildModel(spec);
  const events: ProgressEvent[] = [];
  const plan = spreadPlan(spec, 4);
  const tensorsBefore = tf.memory().numTensors;
  const grown = await morphismMethod.initialise(
    context(parent, spec, plan, undefined, { onProgress: (e) => events.push(e) }),
  );
  const grownWeights = grown.model.weights.length;
  assert.equal(tf.memory().numTensors - tensorsBefore, grownWeights, 'optGD and the splits leave no tensors behind');
  assert.ok(events.length >= 2 && events.every((e) => e.stage === 'morphism'));
  assert.ok(
    events.some((e) => /b2 after b0/.test(e.detail ?? '')),
    'detail names the site',
  );
  assert.equal(grown.curves.length, 2);
  for (const curve of grown.curves) {
    assert.equal(curve.stage, 'morphism');
    assert.equal(curve.metric, 'mse');
    assert.ok(curve.epochs.length > 0 && curve.epochs[curve.epochs.length - 1].loss < curve.epochs[0].loss);
  }
  const details = grown.details as { sites: { iterations: number; relativeLosses: number[]; stoppedBy: string }[] };
  assert.equal(details.sites.length, 2);
  assert.ok(details.sites.every((s) => s.iterations > 0 && s.relativeLosses.length > 1));
  grown.model.dispose();

  // epochs x 500 caps the iterations per site: 0.004 epochs = 2 iterations.
  const capped = await morphismMethod.initialise(context(parent, spec, plan, undefined, { budget: { epochs: 0.004 } }));
  const cappedSites = (capped.details as typeof details).sites;
  assert.ok(
    cappedSites.every((s) => s.iterations === 2 && s.stoppedBy === 'iterations'),
    JSON.stringify(cappedSites.map((s) => s.iterations)),
  );
  capped.model.dispose();

  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    morphismMethod.initialise(context(parent, spec, plan, undefined, { signal: controller.signal })),
    { name: 'AbortedError' },
  );
  parent.dispose();
});

test('an imported Dense unit with BatchNorm (Dense -> BatchNorm -> ReLU): morphism hands the BatchNorm to the new block and keeps the function', async (t) => {
  const backend = await useTestBackend();
  const root = mkdtempSync(join(tmpdir(), 'deepend-morphism-bn-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const input = tfl.input({ shape: [784] });
  let h = input as tfl.SymbolicTensor;
  for (const [i, units] of [32, 16].entries()) {
    h = tfl.layers.dense({ units, name: `hidden_${i}` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.batchNormalization({ name: `bn_${i}` }).apply(h) as tfl.SymbolicTensor;
    h = tfl.layers.reLU({ name: `relu_${i}` }).apply(h) as tfl.SymbolicTensor;
  }
  const out = tfl.layers.dense({ units: 10, activation: 'softmax', name: 'out' }).apply(h) as tfl.SymbolicTensor;
  const user = tfl.model({ inputs: input, outputs: out });
  perturbBatchNorm(user);
  const dir = exportConverterDir(user, join(root, 'mlp-bn'));
  user.dispose();
  const { loaded } = await openModelWithData(dir, 'mnist', {}, backend, {}, 300);
  const spec = loaded.meta.arch;
  const x = tf.randomUniform([64, 784], 0, 1, 'float32', 3);
  const train: TensorSet = { x, labels: tf.zeros([64], 'int32') as tf.Tensor1D, count: 64, classes: 10 };
  const init = await morphismMethod.initialise(
    context(loaded.model, spec, spreadPlan(spec, spec.blocks.length + 1), train),
  );
  const sites = (init.details as { sites: { batchNorm: string }[] }).sites;
  assert.deepEqual(
    sites.map((s) => s.batchNorm),
    ['data-variance'],
  );
  const diff = relativeError(init.model.predict(x) as tf.Tensor, loaded.model.predict(x) as tf.Tensor);
  assert.ok(diff < 1e-3, `the grown model's outputs differ from the import's by ${diff} (relative)`);
  tf.dispose([x, train.labels]);
  init.model.dispose();
  loaded.model.dispose();
});

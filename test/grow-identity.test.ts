import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/tf';
import { useTestBackend } from './helpers/backend';
import { familySpec } from '../src/model/families';
import { buildModel } from '../src/model/build';
import { ArchSpec, Family } from '../src/model/arch';
import { identityMethod } from '../src/grow/methods/identity';
import { spreadPlan } from '../src/grow/planner';
import { TensorSet } from '../src/train/tensors';

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Randomises BatchNorm statistics so that preserving them is actually tested. */
function perturbBatchNorm(model: import('../src/tf').tfl.LayersModel): void {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [g, b, m, v] = layer.getWeights();
    layer.setWeights([
      tf.randomUniform(g.shape, 0.5, 1.5),
      tf.randomNormal(b.shape, 0, 0.2),
      tf.randomNormal(m.shape, 0, 0.2),
      tf.randomUniform(v.shape, 0.5, 2),
    ]);
  }
}

const noData = { train: {} as TensorSet, validation: {} as TensorSet };

async function checkPreserved(spec: ArchSpec, toDepth: number): Promise<void> {
  const parent = buildModel(spec);
  perturbBatchNorm(parent);
  const x = tf.randomUniform([8, ...spec.inputShape], 0, 1);
  const before = parent.predict(x) as tf.Tensor;
  const grown = await identityMethod.initialise({
    parent,
    parentSpec: spec,
    plan: spreadPlan(spec, toDepth),
    data: noData,
    budget: { epochs: 1 },
    batchSize: 8,
    learningRate: 1e-3,
    seed: 1,
  });
  assert.equal(grown.spec.blocks.length, toDepth);
  const after = grown.model.predict(x) as tf.Tensor;
  const diff = maxAbsDiff(before, after);
  assert.ok(diff <= 1e-5, `${spec.family}: outputs moved by ${diff}`);
  // The grown model really is deeper: more parameters than the parent.
  assert.ok(grown.model.countParams() > parent.countParams());
}

const cases: { family: Family; inputShape: number[]; batchNorm?: boolean; residualRatio?: number }[] = [
  { family: 'mlp', inputShape: [28, 28, 1] },
  { family: 'mlp', inputShape: [12] },
  { family: 'conv', inputShape: [16, 16, 1] },
  { family: 'conv', inputShape: [16, 16, 3], batchNorm: true },
  { family: 'resnet', inputShape: [16, 16, 1] },
  { family: 'resnet', inputShape: [16, 16, 1], residualRatio: 0.5 },
];

test('identity insertion preserves the function (max abs diff <= 1e-5) for every family', async () => {
  await useTestBackend();
  for (const c of cases) {
    const spec = familySpec({
      family: c.family,
      depth: 2,
      inputShape: c.inputShape,
      classes: 5,
      width: 8,
      batchNorm: c.batchNorm,
      residualRatio: c.residualRatio,
    });
    await checkPreserved(spec, 5);
  }
});

test('the spread placement names each site once, and says when there is only one', () => {
  const spec = (depth: number) => familySpec({ family: 'mlp', depth, inputShape: [4], classes: 3, width: 8 });
  assert.equal(spreadPlan(spec(1), 3).reason, '2 new blocks after b0, the only existing block');
  assert.equal(spreadPlan(spec(3), 5).reason, '2 new blocks spread evenly over the 3 existing blocks: after b0, b2');
  assert.equal(
    spreadPlan(spec(2), 5).reason,
    '3 new blocks spread evenly over the 2 existing blocks: after b0, b1 (2 in a row)',
  );
  assert.equal(spreadPlan(spec(2), 3).reason, '1 new block after b1, of the 2 existing blocks');
});

import { join } from 'node:path';
import { tf } from '../../src/tf';
import { loadModel, MetaWithoutDigest, saveModel } from '../../src/model/io';
import { identityMethod } from '../../src/grow/methods/identity';
import { spreadPlan } from '../../src/grow/planner';
import { TensorSet } from '../../src/train/tensors';
import { DEFAULT_MODEL } from './cli';

export { DEFAULT_MODEL };

/**
 * A second version of the shipped model for swap tests: one block deeper
 * (identity growth) and with the head's bias shifted towards class 0, so its
 * answers differ from v1's and tell which version served a request.
 */
export async function makeDeeperVersion(root: string): Promise<string> {
  const parent = await loadModel(DEFAULT_MODEL);
  const noData = { train: {} as TensorSet, validation: {} as TensorSet };
  const grown = await identityMethod.initialise({
    parent: parent.model,
    parentSpec: parent.meta.arch,
    plan: spreadPlan(parent.meta.arch, parent.meta.depth + 1),
    data: noData,
    budget: { epochs: 1 },
    batchSize: 8,
    learningRate: 1e-3,
    seed: 1,
  });
  const head = grown.model.getLayer('head');
  const [kernel, bias] = head.getWeights();
  const shifted = tf.tidy(() => tf.add(bias, tf.mul(tf.reshape(tf.oneHot([0], bias.shape[0]), bias.shape), 3)));
  head.setWeights([kernel, shifted]);
  shifted.dispose();
  const { weightsSha256: _digest, parameters: _count, ...inherited } = parent.meta;
  const meta: MetaWithoutDigest = {
    ...inherited,
    depth: grown.spec.blocks.length,
    arch: grown.spec,
    parent: { weightsSha256: parent.meta.weightsSha256, depth: parent.meta.depth },
    createdAt: new Date().toISOString(),
  };
  const dir = join(root, 'v2');
  await saveModel(grown.model, meta, dir);
  parent.model.dispose();
  grown.model.dispose();
  return dir;
}

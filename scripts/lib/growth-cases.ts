// The data sets bench:growth grows on, and the parent each split seed gets: a shallow model trained on that split's
// train part only, so the held-out part stays unseen whatever the seed.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { loadSplitForModel } from '../../src/data/for-model';
import type { DataSplit } from '../../src/data/types';
import { artifactsOf, layersModelFiles } from '../../src/model/formats';
import { loadModel, saveModel } from '../../src/model/io';
import { openModelWithData } from '../../src/model/open';
import { tfl } from '../../src/tf';
import { trainClassifier } from '../../src/train/classifier';
import { disposeTensorSet, toTensorSet } from '../../src/train/tensors';
import { writeShapesFolder, writeTabularCsv } from './bench-data';
import { SHIPPED_EPOCHS, shippedRecipeArgs } from './shipped-recipe';

const L = tfl.layers;

export interface GrowthCase {
  name: string;
  /** Names the cached parents (under workDir/parents); differs from `name` when the same data gets other parents. */
  parentKey: string;
  /** What the bench prints: the data and the parent. */
  describe: string;
  source: string;
  toDepth: number;
  /** Writes the parent trained on split `seed`'s train part into `dir`. */
  makeParent(seed: number, dir: string, backend: string): Promise<void>;
}

/**
 * The shipped model's recipe (scripts/build-default-model.ts) on another split of the shipped digits, for `epochs`
 * (the shipped model's 10 by default; fewer make a parent further below what a deeper model reaches).
 */
export function mnistCase(epochs = SHIPPED_EPOCHS): GrowthCase {
  return {
    name: 'mnist',
    parentKey: epochs === SHIPPED_EPOCHS ? 'mnist' : `mnist-${epochs}ep`,
    describe: `shipped MNIST digits, deepend conv 16/32 (the shipped recipe, ${epochs} epochs), 2 -> 4 blocks`,
    source: 'mnist',
    toDepth: 4,
    async makeParent(seed, dir) {
      const code = await main([...shippedRecipeArgs(seed, 'parent', dir, epochs), '--json']);
      if (code !== 0) throw new Error(`deepend train exited ${code}`);
    },
  };
}

/** A model its owner built and trained with tfjs-layers (as with Keras), written as a TF.js layers directory. */
async function exportUserModel(model: tfl.LayersModel, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(layersModelFiles(await artifactsOf(model))))
    writeFileSync(join(dir, name), content);
}

/** Imports the untrained user model with the data, trains it on the split's train part as its owner would, saves it. */
async function trainUserModel(
  model: tfl.LayersModel,
  source: string,
  seed: number,
  dir: string,
  backend: string,
  epochs: number,
): Promise<void> {
  const raw = `${dir}-export`;
  await exportUserModel(model, raw);
  model.dispose();
  const { loaded, split } = await openModelWithData(raw, source, {}, backend, { seed });
  const { meta } = loaded;
  const train = toTensorSet(split.train, meta.normalisation, meta.arch.classes, meta.arch.output, meta.inputShape);
  try {
    await trainClassifier(loaded.model, train, { stage: 'parent', budget: { epochs }, learningRate: 3e-3, seed });
    await saveModel(loaded.model, { ...meta, name: 'parent' }, dir);
  } finally {
    disposeTensorSet(train);
    loaded.model.dispose();
    rmSync(raw, { recursive: true, force: true });
  }
}

function seeded(seed: number) {
  return { kernelInitializer: tfl.initializers.glorotUniform({ seed }) };
}

function shapesCase(workDir: string): GrowthCase {
  const source = writeShapesFolder(join(workDir, 'shapes'));
  return {
    name: 'shapes',
    parentKey: 'shapes',
    describe: 'image folder: 4,500 32x32 grey shapes in 5 classes, a Keras-style CNN 8/16 (valid, max-pool), 2 -> 4',
    source,
    toDepth: 4,
    async makeParent(seed, dir, backend) {
      const model = tfl.sequential({
        name: 'shapes_cnn',
        layers: [
          L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [32, 32, 1], ...seeded(seed) }),
          L.maxPooling2d({ poolSize: 2 }),
          L.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', ...seeded(seed + 1) }),
          L.maxPooling2d({ poolSize: 2 }),
          L.flatten(),
          L.dense({ units: 5, activation: 'softmax', ...seeded(seed + 2) }),
        ],
      });
      await trainUserModel(model, source, seed, dir, backend, 20);
    },
  };
}

function tabularCase(workDir: string): GrowthCase {
  mkdirSync(workDir, { recursive: true });
  const source = writeTabularCsv(join(workDir, 'quadrants.csv'));
  return {
    name: 'tabular',
    parentKey: 'tabular',
    describe: 'CSV: 6,000 rows of 12 features, 4 classes (an XOR and a circle), a Keras-style MLP 16 relu, 1 -> 3',
    source,
    toDepth: 3,
    async makeParent(seed, dir, backend) {
      const model = tfl.sequential({
        name: 'quadrants_mlp',
        layers: [
          L.dense({ units: 16, activation: 'relu', inputShape: [12], ...seeded(seed) }),
          L.dense({ units: 4, activation: 'softmax', ...seeded(seed + 1) }),
        ],
      });
      await trainUserModel(model, source, seed, dir, backend, 8);
    },
  };
}

/** The data sets by name; `mnistEpochs` trains the mnist parents that long. */
export function growthCases(names: string[], workDir: string, mnistEpochs = SHIPPED_EPOCHS): GrowthCase[] {
  const all: Record<string, () => GrowthCase> = {
    mnist: () => mnistCase(mnistEpochs),
    shapes: () => shapesCase(workDir),
    tabular: () => tabularCase(workDir),
  };
  return names.map((n) => {
    const make = all[n];
    if (!make) throw new Error(`unknown data set '${n}': one of ${Object.keys(all).join(', ')}`);
    return make();
  });
}

/** The parent for split `seed` (trained once, kept under workDir) and that split of the case's data. */
export async function parentAndSplit(
  c: GrowthCase,
  seed: number,
  workDir: string,
  backend: string,
): Promise<{ dir: string; split: DataSplit }> {
  const dir = join(workDir, 'parents', `${c.parentKey}-${seed}`);
  try {
    await loadModel(dir).then((m) => m.model.dispose());
  } catch {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(workDir, 'parents'), { recursive: true });
    await c.makeParent(seed, dir, backend);
  }
  const probe = await loadModel(dir);
  probe.model.dispose();
  return { dir, split: await loadSplitForModel(c.source, probe.meta, { seed }) };
}

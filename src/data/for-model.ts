import type { DataSplit, SplitSpec } from './types';
import { loadDataset } from './load';
import { assertFits } from './normalise';
import { splitDataset } from './split';
import { DataError } from './errors';

export interface ModelInput {
  inputShape: number[];
  labels: string[];
}

/**
 * The per-sample shape the data is loaded in, for the same values in the
 * model's own shape: a model that takes [H, W] gets grey [H, W, 1] images, and
 * one that takes N flat values from images (an MLP on flattened pixels) gets
 * square grey (N = s * s) or RGB (N = 3 * s * s) images.
 */
export function dataInputShape(modelInputShape: readonly number[], source: string): number[] {
  if (modelInputShape.length === 2) return [...modelInputShape, 1];
  if (modelInputShape.length !== 1 || dataKindOf(source) !== 'image') return [...modelInputShape];
  const n = modelInputShape[0];
  for (const channels of [1, 3]) {
    const side = Math.round(Math.sqrt(n / channels));
    if (side * side * channels === n) return [side, side, channels];
  }
  throw new DataError(
    source,
    `the model takes ${n} flat values, which are no square grey or RGB image: feed it a .csv of ${n} features`,
  );
}

/** Whether a data source holds images (mnist, a folder) or tabular features (a .csv file). */
export function dataKindOf(source: string): 'image' | 'tabular' {
  return source.toLowerCase().endsWith('.csv') ? 'tabular' : 'image';
}

/**
 * Loads `source` shaped for the model (resized images, the model's label order), checks it fits, and splits it;
 * `limit`: at most that many samples, even across classes (the config's dataLimit, --data-limit).
 */
export async function loadSplitForModel(
  source: string,
  model: ModelInput,
  split: Partial<SplitSpec> = {},
  limit?: number,
): Promise<DataSplit> {
  const shape = dataInputShape(model.inputShape, source);
  const data = await loadDataset(source, { inputShape: shape, classes: model.labels, limit });
  assertFits(data, shape, model.labels.length);
  return splitDataset(data, split);
}

import type { DataSplit, SplitSpec } from './types';
import { loadDataset } from './load';
import { assertFits } from './normalise';
import { splitDataset } from './split';

export interface ModelInput {
  inputShape: number[];
  labels: string[];
}

/** The per-sample shape the data is loaded in: a model that takes [H, W] gets grey [H, W, 1] images (the same values). */
export function dataInputShape(modelInputShape: readonly number[]): number[] {
  return modelInputShape.length === 2 ? [...modelInputShape, 1] : [...modelInputShape];
}

/** Whether a data source holds images (mnist, a folder) or tabular features (a .csv file). */
export function dataKindOf(source: string): 'image' | 'tabular' {
  return source.toLowerCase().endsWith('.csv') ? 'tabular' : 'image';
}

/** Loads `source` shaped for the model (resized images, the model's label order), checks it fits, and splits it. */
export async function loadSplitForModel(source: string, model: ModelInput, split: Partial<SplitSpec> = {}): Promise<DataSplit> {
  const shape = dataInputShape(model.inputShape);
  const data = await loadDataset(source, { inputShape: shape, classes: model.labels });
  assertFits(data, shape, model.labels.length);
  return splitDataset(data, split);
}

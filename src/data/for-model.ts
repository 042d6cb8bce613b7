import type { DataSplit, SplitSpec } from './types';
import { loadDataset } from './load';
import { assertFits } from './normalise';
import { splitDataset } from './split';

export interface ModelInput {
  inputShape: number[];
  labels: string[];
}

/** Loads `source` shaped for the model (resized images, the model's label order), checks it fits, and splits it. */
export async function loadSplitForModel(source: string, model: ModelInput, split: Partial<SplitSpec> = {}): Promise<DataSplit> {
  const data = await loadDataset(source, { inputShape: model.inputShape, classes: model.labels });
  assertFits(data, model.inputShape, model.labels.length);
  return splitDataset(data, split);
}

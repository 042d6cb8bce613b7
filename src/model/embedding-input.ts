import { DataError } from '../data/errors';
import { applyNormalisation } from '../data/normalise';
import type { Dataset, Normalisation } from '../data/types';
import { tfl } from '../tf';

/**
 * A model that begins with an Embedding looks its input up as row numbers: every value, once the input contract has
 * scaled it, must be a whole number in 0..inputDim-1. Checked on the data before growing, so that a CSV of measured
 * values is refused naming the sample, instead of an op error from deep inside TF.js ("GatherV2: the index value -2
 * is not in [0, 15]").
 */
export function assertEmbeddingInput(model: tfl.LayersModel, data: Dataset, normalisation: Normalisation): void {
  const first = model.layers.find((l) => l.getClassName() !== 'InputLayer');
  if (first?.getClassName() !== 'Embedding') return;
  const rows = Number(first.getConfig().inputDim);
  // the values as the model receives them
  const x = applyNormalisation(data.x, normalisation);
  const width = x.length / Math.max(data.count, 1);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (Number.isInteger(v) && v >= 0 && v < rows) continue;
    throw new DataError(
      data.source,
      `sample ${Math.floor(i / width)} holds ${Number(v.toPrecision(6))} where the model's Embedding '${first.name}' takes whole numbers 0..${rows - 1}`,
    );
  }
}

import type { Dataset, Normalisation } from './types';
import { DataError, describeShape } from './errors';
import { sampleSize } from './subset';

/** A std below this means a constant channel/feature: dividing by it would only blow up noise. */
const STD_FLOOR = 1e-6;

/** Values per group: the channel count for images, the feature count for tabular data. */
function groupCount(dataset: Dataset): number {
  return dataset.kind === 'image' ? dataset.inputShape[dataset.inputShape.length - 1] : sampleSize(dataset.inputShape);
}

/** Mean and (population) std per channel for images, per feature for tabular data. */
export function computeNormalisation(dataset: Dataset): Normalisation {
  if (dataset.count === 0) throw new DataError(dataset.source, 'cannot compute normalisation of an empty dataset');
  const groups = groupCount(dataset);
  const { x } = dataset;
  const sum = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) sum[i % groups] += x[i];
  const perGroup = x.length / groups;
  const mean = Array.from(sum, (s) => s / perGroup);
  const squares = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - mean[i % groups];
    squares[i % groups] += d * d;
  }
  const std = Array.from(squares, (s) => {
    const value = Math.sqrt(s / perGroup);
    return value < STD_FLOOR ? 1 : value;
  });
  return { mean, std };
}

function checkNormalisation(normalisation: Normalisation, length: number): number {
  const groups = normalisation.mean.length;
  if (groups === 0 || normalisation.std.length !== groups) {
    throw new DataError('normalisation', `mean has ${groups} values but std has ${normalisation.std.length}`);
  }
  if (!normalisation.std.every((s) => s > 0 && Number.isFinite(s))) {
    throw new DataError('normalisation', 'every std must be a positive finite number');
  }
  if (length % groups !== 0) {
    throw new DataError('normalisation', `${length} values do not divide into ${groups} channels/features`);
  }
  return groups;
}

/** (x - mean) / std, the group of value i being i % mean.length; returns a new array. */
export function applyNormalisation(x: Float32Array, normalisation: Normalisation): Float32Array {
  const groups = checkNormalisation(normalisation, x.length);
  const { mean, std } = normalisation;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean[i % groups]) / std[i % groups];
  return out;
}

/** x * std + mean: undoes applyNormalisation; returns a new array. */
export function revertNormalisation(x: Float32Array, normalisation: Normalisation): Float32Array {
  const groups = checkNormalisation(normalisation, x.length);
  const { mean, std } = normalisation;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i] * std[i % groups] + mean[i % groups];
  return out;
}

/** Throws a one-line DataError unless the dataset can be fed to a model with this input shape and class count. */
export function assertFits(dataset: Dataset, inputShape: readonly number[], classCount: number): void {
  const sameShape =
    dataset.inputShape.length === inputShape.length && dataset.inputShape.every((d, i) => d === inputShape[i]);
  if (!sameShape) {
    throw new DataError(
      dataset.source,
      `data feature shape ${describeShape(dataset.inputShape)} does not fit the model's input ${describeShape(inputShape)}`,
    );
  }
  if (dataset.classes.length !== classCount) {
    throw new DataError(dataset.source, `data has ${dataset.classes.length} classes but the model has ${classCount}`);
  }
  if (dataset.x.length !== dataset.count * sampleSize(dataset.inputShape) || dataset.y.length !== dataset.count) {
    throw new DataError(
      dataset.source,
      `data arrays do not hold ${dataset.count} samples of ${describeShape(dataset.inputShape)}`,
    );
  }
  for (let i = 0; i < dataset.count; i++) {
    const id = dataset.y[i];
    if (!(id >= 0 && id < classCount))
      throw new DataError(dataset.source, `sample ${i} has class id ${id}, outside 0..${classCount - 1}`);
  }
}

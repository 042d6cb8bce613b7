import type { Dataset, Normalisation } from './types';
import { DataError } from './errors';
import { deriveSeed, mulberry32, shuffleInPlace } from './random';
import { sampleSize } from './subset';

/**
 * The sample order for one epoch: a permutation of 0..count-1 that depends
 * only on (seed, epoch), so a resumed job replays the same epochs. Pass `out`
 * (length count) to reuse one buffer across epochs.
 */
export function epochOrder(count: number, seed: number, epoch: number, out?: Uint32Array): Uint32Array {
  const order = out ?? new Uint32Array(count);
  if (order.length !== count) throw new DataError('batches', `order buffer holds ${order.length}, expected ${count}`);
  for (let i = 0; i < count; i++) order[i] = i;
  return shuffleInPlace(order, mulberry32(deriveSeed(seed, epoch)));
}

export function batchCount(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

/** Preallocated, reused buffers for one mini-batch. */
export interface BatchBuffers {
  batchSize: number;
  sampleSize: number;
  classCount: number;
  /** batchSize * sampleSize features. */
  x: Float32Array;
  /** batchSize * classCount one-hot labels. */
  y: Float32Array;
}

export function createBatchBuffers(inputShape: readonly number[], classCount: number, batchSize: number): BatchBuffers {
  if (!(Number.isInteger(batchSize) && batchSize > 0))
    throw new DataError('batches', `batch size must be a positive integer, got ${batchSize}`);
  const size = sampleSize(inputShape);
  return {
    batchSize,
    sampleSize: size,
    classCount,
    x: new Float32Array(batchSize * size),
    y: new Float32Array(batchSize * classCount),
  };
}

/**
 * Copies samples order[start ..] (at most batchSize of them) into the
 * buffers, normalising on the way when a normalisation is given, and writes
 * their one-hot labels. Returns how many samples were written: the last
 * batch of an epoch may be short, and only the first n rows are valid then.
 */
export function gatherBatch(
  dataset: Dataset,
  order: ArrayLike<number>,
  start: number,
  buffers: BatchBuffers,
  normalisation?: Normalisation,
): number {
  const { sampleSize: size, classCount, x, y } = buffers;
  if (sampleSize(dataset.inputShape) !== size) {
    throw new DataError(
      dataset.source,
      `samples hold ${sampleSize(dataset.inputShape)} values but the batch expects ${size}`,
    );
  }
  const n = Math.max(0, Math.min(buffers.batchSize, order.length - start));
  const groups = normalisation?.mean.length ?? 0;
  if (normalisation && (groups === 0 || size % groups !== 0)) {
    throw new DataError(
      dataset.source,
      `normalisation has ${groups} channels/features, which does not divide a sample of ${size}`,
    );
  }
  y.fill(0, 0, n * classCount);
  for (let b = 0; b < n; b++) {
    const sample = order[start + b];
    const from = sample * size;
    const to = b * size;
    if (normalisation) {
      const { mean, std } = normalisation;
      for (let i = 0; i < size; i++) x[to + i] = (dataset.x[from + i] - mean[i % groups]) / std[i % groups];
    } else {
      x.set(dataset.x.subarray(from, from + size), to);
    }
    const label = dataset.y[sample];
    if (!(label >= 0 && label < classCount))
      throw new DataError(dataset.source, `sample ${sample} has class id ${label}, outside 0..${classCount - 1}`);
    y[b * classCount + label] = 1;
  }
  return n;
}

/** One-hot labels for a whole dataset, e.g. for evaluation. */
export function oneHot(labels: Int32Array, classCount: number): Float32Array {
  const out = new Float32Array(labels.length * classCount);
  labels.forEach((label, i) => {
    if (!(label >= 0 && label < classCount))
      throw new DataError('labels', `class id ${label} is outside 0..${classCount - 1}`);
    out[i * classCount + label] = 1;
  });
  return out;
}

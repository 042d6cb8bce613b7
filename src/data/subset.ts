import type { Dataset } from './types';

export function sampleSize(inputShape: readonly number[]): number {
  return inputShape.reduce((a, b) => a * b, 1);
}

/** A new dataset holding the given samples, in the given order. */
export function subsetDataset(dataset: Dataset, indices: ArrayLike<number>): Dataset {
  const size = sampleSize(dataset.inputShape);
  const x = new Float32Array(indices.length * size);
  const y = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i];
    x.set(dataset.x.subarray(from * size, (from + 1) * size), i * size);
    y[i] = dataset.y[from];
  }
  return {
    ...dataset,
    inputShape: [...dataset.inputShape],
    classes: [...dataset.classes],
    x,
    y,
    count: indices.length,
  };
}

import type { tfl } from '../../tf';
import { problem } from './problem';
import { writeVariable } from './weights-by-name';

/** One stored array, with where it came from for error lines. */
export interface StoredArray {
  where: string;
  shape: number[];
  values: Float32Array | Int32Array;
}

type Layer = tfl.LayersModel['layers'][number];

/**
 * Sets `layer.weights` (for a nested model: all its trainable then non-trainable weights, the order Keras 2 .h5
 * files keep) from `arrays`, in order, checking the count and every shape.
 */
export function assignLayerWeights(layer: Layer, arrays: StoredArray[], file: string): void {
  const targets = layer.weights;
  if (targets.length !== arrays.length) {
    throw problem(
      file,
      `layer "${layer.name}" has ${targets.length} weights but the file holds ${arrays.length} for it`,
    );
  }
  targets.forEach((variable, i) => {
    const a = arrays[i];
    const expected = variable.shape as number[];
    if (a.shape.length !== expected.length || a.shape.some((d, j) => d !== expected[j])) {
      throw problem(
        file,
        `${a.where} has shape [${a.shape}] but layer "${layer.name}" expects [${expected}] for its weight ${i} (${variable.originalName})`,
      );
    }
    writeVariable(variable, a.shape, a.values);
  });
}

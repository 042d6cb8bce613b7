import { tf } from '../tf';
import { applyNormalisation } from '../data/normalise';
import { forward, inputSize, ServedModel, servingNormalisationOf } from './served-model';

/**
 * Normalises raw inputs (servingNormalisationOf: an imported model's input contract) and runs them in
 * one forward pass; one list of outputs (class probabilities) per input.
 */
export function predictRows(served: ServedModel, x: Float32Array, count: number): number[][] {
  const size = inputSize(served);
  if (x.length !== count * size) throw new Error(`predictRows: ${x.length} values are not ${count} inputs of ${size}`);
  const normalised = applyNormalisation(x, servingNormalisationOf(served.meta));
  const y = tf.tidy(() => forward(served, tf.tensor(normalised, [count, ...served.meta.inputShape], 'float32')));
  try {
    const values = y.dataSync();
    const width = values.length / count;
    const rows: number[][] = new Array(count);
    for (let i = 0; i < count; i++) rows[i] = Array.from(values.subarray(i * width, (i + 1) * width));
    return rows;
  } finally {
    y.dispose();
  }
}

import { tf } from '../tf';
import { forward, outputWidth, ServedModel } from './served-model';

function sameShape(a: readonly (number | null)[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks that a model can serve what its meta.json promises and runs it once
 * on zeros of every batch size in `batchSizes`, so that the first real
 * requests do not pay for kernel set-up and memory growth. Throws one line.
 */
export function warmUp(served: ServedModel, batchSizes: readonly number[] = [1]): void {
  const { model, meta } = served;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(
      `the model has ${model.inputs.length} inputs and ${model.outputs.length} outputs; serving takes one of each`,
    );
  }
  const declared = model.inputs[0].shape.slice(1);
  if (!sameShape(declared, meta.inputShape)) {
    throw new Error(`meta.json inputShape [${meta.inputShape}] disagrees with the model's input [${declared}]`);
  }
  for (const n of batchSizes) {
    const values = tf.tidy(() => {
      const y = forward(served, tf.zeros([n, ...meta.inputShape]));
      if (!sameShape(y.shape, [n, outputWidth(served)])) {
        throw new Error(
          `the model answers shape [${y.shape}] for ${n} input(s); meta.json lists ${meta.labels.length} labels`,
        );
      }
      return y.dataSync();
    });
    if (!values.every(Number.isFinite)) throw new Error('the model answers non-finite values on a zero input');
  }
}

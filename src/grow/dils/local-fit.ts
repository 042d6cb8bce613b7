import { tf, tfl } from '../../tf';
import { LoopResult, runLoop } from '../../train/loop';
import type { InitialiseContext } from '../types';

// DILS eq. 19-20 (and eq. 7 for dense sites after the eq. 12-15 start):
//   Loss = MSE(h_m(z) - f∘g(z)),  z = h_{m-1}(x) of the parent,
// minimised over the parameters of g and f by backpropagation through the
// local sub-network only. BatchNorm runs in inference mode (training: false)
// throughout, so the moving statistics stay fixed, γ and β are trained, and the
// grown model in inference mode computes exactly the fitted function.

/** The training knobs of a growth's initialisation, plus the local fit's own stopping rule. */
export interface LocalFitOptions
  extends Pick<InitialiseContext, 'budget' | 'batchSize' | 'learningRate' | 'seed' | 'onProgress' | 'signal'> {
  stage: string;
  detail: string;
  /** Stop once an epoch's MSE relative to mean(h_m^2) is below this (the fit is as good as it needs to be). */
  relativeTolerance?: number;
  /** ... or once an epoch lowers the MSE by less than this fraction of the previous epoch's. */
  minImprovement?: number;
}

/** Defaults measured on the shipped model: a held-out relative error near 1e-5 leaves held-out accuracy unchanged. */
export const LOCAL_FIT_TOLERANCE = 1e-5;
export const LOCAL_FIT_MIN_IMPROVEMENT = 0.1;

/** Trains `local` so that local(z) ≈ target in mean squared error, with the shared training loop. */
export async function fitLocal(
  local: tfl.LayersModel,
  z: tf.Tensor,
  target: tf.Tensor,
  opts: LocalFitOptions,
): Promise<LoopResult> {
  const optimizer = tf.train.adam(opts.learningRate);
  const energy = tf.tidy(() => tf.mean(tf.square(target)).dataSync()[0]);
  const tolerance = opts.relativeTolerance ?? LOCAL_FIT_TOLERANCE;
  const minImprovement = opts.minImprovement ?? LOCAL_FIT_MIN_IMPROVEMENT;
  try {
    return await runLoop({
      stage: opts.stage,
      detail: opts.detail,
      count: z.shape[0],
      batchSize: opts.batchSize,
      budget: opts.budget,
      seed: opts.seed,
      optimizer,
      batchLoss: (indices) => {
        const predicted = local.apply(tf.gather(z, indices), { training: false }) as tf.Tensor;
        return tf.mean(tf.square(tf.sub(predicted, tf.gather(target, indices)))) as tf.Scalar;
      },
      // Stage I only has to reproduce h_m; time saved here goes to Stage II.
      converged: (epochs) => {
        const last = epochs[epochs.length - 1].loss;
        const previous = epochs.length > 1 ? epochs[epochs.length - 2].loss : Number.POSITIVE_INFINITY;
        return (energy > 0 && last / energy < tolerance) || last > previous * (1 - minImprovement);
      },
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  } finally {
    optimizer.dispose();
  }
}

export interface LocalError {
  /** Eq. 20: mean squared error over every entry of h_m. */
  mse: number;
  /** mse / mean(h_m^2): comparable between layers of different scale (used to rank sites). */
  relative: number;
}

/** Eq. 20 evaluated in inference mode over (z, target), in batches. */
export function localError(local: tfl.LayersModel, z: tf.Tensor, target: tf.Tensor, batchSize = 256): LocalError {
  let squared = 0;
  let energy = 0;
  const count = z.shape[0];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const [e, t] = tf.tidy(() => {
      const y = tf.slice(target, start, size);
      const predicted = local.apply(tf.slice(z, start, size), { training: false }) as tf.Tensor;
      return [tf.sum(tf.square(tf.sub(predicted, y))).dataSync()[0], tf.sum(tf.square(y)).dataSync()[0]];
    });
    squared += e;
    energy += t;
  }
  const entries = target.size;
  const mse = entries ? squared / entries : 0;
  return { mse, relative: energy > 0 ? squared / energy : 0 };
}

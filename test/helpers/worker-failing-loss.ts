import { isMainThread } from 'node:worker_threads';
import { tf } from '../../src/tf';
import { meanSquaredError } from '../../src/compute/data-parallel';

/** A loss that works on the calling thread and throws in a data-parallel worker. */
export function failsInWorkers(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  if (!isMainThread) throw new Error('loss refused in worker');
  return meanSquaredError(prediction, target);
}

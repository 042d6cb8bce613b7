import { encodeBits } from '../stats/bitset';
import { tf, tfl } from '../tf';
import { predictedClasses } from '../train/classifier';
import type { TensorSet } from '../train/tensors';

/**
 * Which held-out samples the parent and the candidate each classified
 * correctly, as base64 bitsets (src/stats/bitset.ts): what the daemon's gate
 * needs for a paired comparison on the very same samples.
 */
export interface HeldOutPairs {
  n: number;
  parentCorrect: string;
  candidateCorrect: string;
}

const BATCH = 512;

/** 1 where the model (inference mode) names the sample's label, else 0. */
export function correctFlags(model: tfl.LayersModel, data: TensorSet): Uint8Array {
  const flags = new Uint8Array(data.count);
  for (let start = 0; start < data.count; start += BATCH) {
    const size = Math.min(BATCH, data.count - start);
    const hits = tf.tidy(() => {
      const p = model.apply(tf.slice(data.x, start, size), { training: false }) as tf.Tensor;
      return tf.equal(predictedClasses(p), tf.slice(data.labels, start, size)).dataSync();
    });
    for (let i = 0; i < size; i++) flags[start + i] = hits[i] ? 1 : 0;
  }
  return flags;
}

export function heldOutPairs(parent: Uint8Array, candidate: Uint8Array): HeldOutPairs {
  return { n: parent.length, parentCorrect: encodeBits(parent), candidateCorrect: encodeBits(candidate) };
}

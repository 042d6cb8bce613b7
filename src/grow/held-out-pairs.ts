import { encodeBits } from '../stats/bitset';
import type { tfl } from '../tf';
import { evaluateEach } from '../train/classifier';
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

/** 1 where the model (inference mode) names the sample's label, else 0. */
export function correctFlags(model: tfl.LayersModel, data: TensorSet): Uint8Array {
  return evaluateEach(model, data).correct;
}

export function heldOutPairs(parent: Uint8Array, candidate: Uint8Array): HeldOutPairs {
  return { n: parent.length, parentCorrect: encodeBits(parent), candidateCorrect: encodeBits(candidate) };
}

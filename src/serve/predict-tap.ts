import { type OutputKind, oneUnitThreshold } from '../model/arch';
import type { ServedModel } from './served-model';

/** One answered predict request, as a tap sees it after the answer has gone out. */
export interface ObservedPredict {
  requestId: string;
  served: ServedModel;
  /** The request's raw inputs (before normalisation); a tap must not change them. */
  x: Float32Array;
  count: number;
  /** The class each instance was answered with (argmax of its outputs). */
  classes: number[];
  /** Milliseconds the served model's answer took: queueing in the micro-batcher and the forward pass. */
  ms: number;
}

/** Labels a client sent for an earlier request (POST :feedback), with what the served model answered then. */
export interface ObservedFeedback {
  requestId: string;
  version: number;
  labels: number[];
  classes: number[];
}

/**
 * Watches a slot's traffic off the request path: a shadow candidate, or the
 * watch after a swap. Taps are called after the response is written; a tap
 * that throws is removed, never the request's problem.
 */
export interface PredictTap {
  predicted?(p: ObservedPredict): void;
  /** A predict request version `version` failed to answer (5xx). */
  failed?(version: number): void;
  feedback?(f: ObservedFeedback): void;
}

/** The class of each output row: argmax, or for one value a sigmoid's 0/1 at 0.5 (a logit's at 0). */
export function classesOf(rows: readonly number[][], output?: OutputKind): number[] {
  const threshold = oneUnitThreshold(output);
  return rows.map((row) => {
    if (row.length === 1) return row[0] > threshold ? 1 : 0;
    let best = 0;
    for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
    return best;
  });
}

import type { GrowthMethodName } from '../grow/types';
import type { ProgressEvent } from '../train/progress';
import type { CandidateSummary } from './candidate';

/** workerData of src/jobs/grow-worker.ts. */
export interface GrowJobInput {
  parentDir: string;
  /** Where the candidate goes (models/NAME/.candidates/JOBID); written all or nothing. */
  candidateDir: string;
  data: string;
  dataLimit?: number;
  toDepth: number;
  method: GrowthMethodName;
  budget: { seconds?: number; epochs?: number };
  backend: string;
  /** Int32Array[1] over it: non-zero = abort. Read between training steps, which a message could not interrupt. */
  abortFlag: SharedArrayBuffer;
  crashAt?: string;
}

/** Main thread -> worker. */
export type ToWorker = { type: 'abort' };

/** Worker -> main thread. */
export type FromWorker =
  | { type: 'progress'; event: ProgressEvent }
  | { type: 'done'; candidate: CandidateSummary }
  | { type: 'failed'; message: string; aborted: boolean };

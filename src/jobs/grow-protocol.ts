import type { MethodChoice } from '../growth-methods';
import type { ProgressEvent } from '../train/progress';
import type { CandidateSummary } from './candidate';
import type { GateSettings } from '../policy/gate';

/** The first IPC message to src/jobs/grow-worker.ts (a child process). */
export interface GrowJobInput {
  parentDir: string;
  /** Where the candidate goes (models/NAME/.candidates/JOBID); written all or nothing. */
  candidateDir: string;
  data: string;
  dataLimit?: number;
  /** The growth process's CPU priority (nice); 19 when absent. */
  nice?: number;
  toDepth: number;
  method: MethodChoice;
  budget: { seconds?: number; epochs?: number };
  /** Growth's random seed (default 1). */
  seed?: number;
  /** The share of the data held out for the gate (default DEFAULT_SPLIT's). */
  heldOutFraction?: number;
  /** The gate the candidate will face: recorded in report.json and drawn on the learning curve. */
  gate?: GateSettings;
  backend: string;
  /** Created by the daemon to abort: read between training steps, which a message could not interrupt. */
  abortFile: string;
  crashAt?: string;
  /** Crash injection inside growth kills the daemon, not only this child. */
  daemonPid: number;
}

/** Daemon -> growth process. */
export type ToWorker = { type: 'start'; input: GrowJobInput };

/** Growth process -> daemon. */
export type FromWorker =
  | { type: 'progress'; event: ProgressEvent }
  /** Something the daemon should log for the job; the growth goes on. */
  | { type: 'warning'; message: string }
  | { type: 'done'; candidate: CandidateSummary }
  | { type: 'failed'; message: string; aborted: boolean };

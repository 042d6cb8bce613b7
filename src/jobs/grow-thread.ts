import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProgressEvent } from '../train/progress';
import type { CandidateSummary } from './candidate';
import type { FromWorker, GrowJobInput, ToWorker } from './grow-protocol';
import { raiseFlag } from './shared-abort';

export type GrowOutcome = { kind: 'done'; candidate: CandidateSummary } | { kind: 'aborted' } | { kind: 'failed'; message: string };

export interface GrowthHandle {
  /** Settles once the worker thread has exited, so no file is written after it. */
  result: Promise<GrowOutcome>;
  /** Asks the worker to stop; terminates it if it has not exited after `graceMs`. */
  abort(graceMs: number): void;
}

/** Runs src/jobs/grow-worker.ts in a worker thread with its own TF.js instance. */
export function startGrowth(input: Omit<GrowJobInput, 'abortFlag'>, onProgress: (e: ProgressEvent) => void): GrowthHandle {
  const abortFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const worker = new Worker(join(__dirname, 'grow-worker.js'), { workerData: { ...input, abortFlag } satisfies GrowJobInput });
  let outcome: GrowOutcome | undefined;
  let aborting = false;
  let killTimer: NodeJS.Timeout | undefined;

  const result = new Promise<GrowOutcome>((resolve) => {
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'progress') {
        if (!aborting) onProgress(m.event);
        return;
      }
      outcome ??= m.type === 'done' ? { kind: 'done', candidate: m.candidate } : m.aborted ? { kind: 'aborted' } : { kind: 'failed', message: m.message };
      // the worker's TF.js memory goes with the thread
      void worker.terminate();
    });
    worker.on('error', (err) => {
      outcome ??= aborting ? { kind: 'aborted' } : { kind: 'failed', message: `growth worker crashed: ${err.message}` };
    });
    worker.on('exit', (code) => {
      clearTimeout(killTimer);
      resolve(outcome ?? (aborting ? { kind: 'aborted' } : { kind: 'failed', message: `growth worker exited with code ${code} before reporting` }));
    });
  });

  return {
    result,
    abort(graceMs: number) {
      if (aborting) return;
      aborting = true;
      raiseFlag(new Int32Array(abortFlag));
      worker.postMessage({ type: 'abort' } satisfies ToWorker);
      killTimer = setTimeout(() => void worker.terminate(), graceMs);
    },
  };
}

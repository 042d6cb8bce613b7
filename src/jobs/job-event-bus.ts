import type { JobRow } from '../store';
import type { JobEvents, JobProgress } from './types';

/**
 * The one way job events leave the runner: every part that cares (the fleet
 * agent, the log, the progress board, the compute watcher) subscribes, and the
 * runner tells the bus only. A listener that throws is reported through
 * `onListenerError` and neither stops the other listeners nor the job.
 */
export class JobEventBus implements JobEvents {
  private readonly listeners = new Set<Partial<JobEvents>>();

  constructor(private readonly onListenerError: (err: Error, event: keyof JobEvents, job: JobRow) => void) {}

  /** Adds a listener; the function returned removes it. */
  subscribe(listener: Partial<JobEvents>): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  onState(job: JobRow): void {
    for (const l of this.listeners) this.guard('onState', job, () => l.onState?.(job));
  }

  onProgress(job: JobRow, e: JobProgress): void {
    for (const l of this.listeners) this.guard('onProgress', job, () => l.onProgress?.(job, e));
  }

  onResult(job: JobRow): void {
    for (const l of this.listeners) this.guard('onResult', job, () => l.onResult?.(job));
  }

  private guard(event: keyof JobEvents, job: JobRow, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.onListenerError(err as Error, event, job);
    }
  }
}

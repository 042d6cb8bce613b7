import type { JobRow } from '../store';
import type { RequestResult, RunnerPort, UpgradeRequest } from '../jobs/runner-port';

/**
 * The job runner of a read-only daemon (started on a full, read-only or
 * failing disk): it serves the committed model and runs no job, since a job
 * writes a candidate, a version and its transitions. Every request is refused
 * with the reason; unfinished jobs wait for the writable restart to recover them.
 */
export class ReadOnlyRunner implements RunnerPort {
  constructor(private readonly why: () => string) {}

  private reason(): string {
    return `read-only: ${this.why()}; no job runs until the disk can be written`;
  }

  async recover(): Promise<{ resumed: string[]; rolledBack: string[]; failed: string[] }> {
    return { resumed: [], rolledBack: [], failed: [] };
  }

  request(_req: UpgradeRequest): RequestResult {
    return { accepted: false, reason: this.reason() };
  }

  cancel(_jobId: string): boolean {
    return false;
  }

  async rollback(_version?: number): Promise<JobRow> {
    throw new Error(this.reason());
  }

  active(): JobRow | undefined {
    return undefined;
  }

  async idle(): Promise<void> {}

  async stop(): Promise<void> {}
}

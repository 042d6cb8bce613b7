import type { MethodChoice } from '../growth-methods';
import type { JobRow } from '../store';

/*
 * What the daemon uses of src/jobs/runner.ts (docs/design/daemon.md, "the API the
 * daemon process uses"). Kept as an interface so triggers and the control API
 * can be tested with a stand-in.
 */

export interface UpgradeRequest {
  toDepth?: number;
  method?: MethodChoice;
  trigger: 'automatic' | 'manual' | 'fleet';
  commandId?: string;
  attempt?: number;
  retryOf?: string;
  heldOutFraction?: number;
}

export type RequestResult = { accepted: true; job: JobRow } | { accepted: false; reason: string; job?: JobRow };

export interface RunnerPort {
  recover(): Promise<{ resumed: string[]; rolledBack: string[]; failed: string[] }>;
  request(req: UpgradeRequest): RequestResult;
  cancel(jobId: string): boolean;
  rollback(version?: number, reason?: 'import'): Promise<JobRow>;
  active(): JobRow | undefined;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

import type { JobRow } from '../store';
import type { UpgradeRequest } from './types';

/*
 * What the daemon uses of src/jobs/runner.ts (docs/design/daemon.md, "the API the
 * daemon process uses"). Kept as an interface so triggers and the control API
 * can be tested with a stand-in.
 */

export type { UpgradeRequest };

/** A running shadow run, as `deepend status` shows it. */
export interface ShadowView {
  /** Live requests compared so far, of those the policy wants. */
  requests: number;
  wanted: number;
  /** When its minutes run out (ISO). */
  endsAt: string;
}

/** A running watch, as `deepend status` shows it. */
export interface WatchView {
  jobId: string;
  version: number;
  fromVersion: number;
  /** When its minutes run out (ISO). */
  endsAt: string;
  /** What it has seen so far. */
  requests: number;
  failures: number;
  shift: number | null;
  labelled: number;
  accuracy: number | null;
}

export type RequestResult = { accepted: true; job: JobRow } | { accepted: false; reason: string; job?: JobRow };

export interface RunnerPort {
  recover(): Promise<{ resumed: string[]; rolledBack: string[]; failed: string[] }>;
  request(req: UpgradeRequest): RequestResult;
  cancel(jobId: string): boolean;
  rollback(version?: number, reason?: 'import'): Promise<JobRow>;
  active(): JobRow | undefined;
  /** The watch after the last upgrade's swap, while it runs (policy `watch`). */
  watching?(): WatchView | undefined;
  /** The running job's shadow run, while one runs (policy `shadow`). */
  shadowing?(): ShadowView | undefined;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

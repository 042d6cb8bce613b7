import { firstLine } from '../util/deepend-error';
import { isTerminal } from '../store/job-states';
import { candidateDir } from '../store/model-dirs';
import type { JobRow, JobState, TransitionDetail } from '../store/types';
import { crashIfAsked } from './crash';
import type { GrowthHandle } from './grow-process';
import type { ShadowView } from './runner-port';
import type { JobProgress, RunnerDeps } from './types';

export const DEFAULT_CANCEL_GRACE_MS = 5000;

/** The runner's dependencies plus the ways a step reports. */
export interface RunContext extends RunnerDeps {
  graceMs: number;
  emitProgress(job: JobRow, e: JobProgress): void;
}

/** The job the runner is working on, and what was asked of it while a step awaited. */
export interface ActiveJob {
  id: string;
  phase: JobState;
  canceled: boolean;
  /** The daemon is stopping: park the job resumable at the next safe point. */
  stopping: boolean;
  growth?: GrowthHandle;
  /** The candidate's shadow run on live traffic, while one runs. */
  shadow?: { stop(): void; progress(): ShadowView };
}

export function makeContext(deps: RunnerDeps): RunContext {
  return {
    ...deps,
    graceMs: deps.tuning?.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS,
    emitProgress(job, e) {
      deps.events?.onProgress?.(job, e);
    },
  };
}

/**
 * Writes a transition (the store commits it before returning), tells the
 * listeners, then, for the crash tests, may die on the spot: the action the
 * transition announces has not started yet.
 */
export function move(
  ctx: RunContext,
  jobId: string,
  to: JobState,
  detail: TransitionDetail = {},
  opts: { active?: ActiveJob; crash?: boolean } = {},
): JobRow {
  const job = ctx.store.transition(jobId, to, detail);
  announce(ctx, job, opts.active);
  if (opts.crash !== false) crashIfAsked(to);
  return job;
}

/** Logs a job's new state and tells the listeners; a failing listener never stops a job. */
export function announce(ctx: RunContext, job: JobRow, active?: ActiveJob): void {
  if (active) active.phase = job.state;
  ctx.log({
    level: isTerminal(job.state) ? 'info' : 'debug',
    msg: 'job state',
    job: job.id,
    kind: job.kind,
    state: job.state,
    ...(isTerminal(job.state) && job.reason ? { reason: job.reason } : {}),
  });
  try {
    ctx.events?.onState?.(job);
  } catch (err) {
    ctx.log({ level: 'warn', msg: 'job state listener failed', job: job.id, error: errorText(err) });
  }
}

export function candidateOf(ctx: RunContext, jobId: string): string {
  return candidateDir(ctx.store.home, ctx.modelName, jobId);
}

export function errorText(err: unknown): string {
  return firstLine(err);
}

import type { JobRow } from '../store/types';
import { readCandidate, removeCandidateFiles } from './candidate';
import { RunContext, candidateOf, move } from './context';
import { finishSwap, SwapDetail, undoSwap } from './swap';
import { UpgradeStart } from './upgrade-job';
import { recordedPlan } from './recorded-plan';

/** A job interrupted more often than this is ended `failed` instead of resumed again (the loop guard). */
export const MAX_INTERRUPTIONS = 3;

export type Recovery =
  | { outcome: 'resumed'; run?: UpgradeStart | 'rollback' }
  | { outcome: 'rolledBack' }
  | { outcome: 'failed' };

function swapDetail(ctx: RunContext, jobId: string): SwapDetail | undefined {
  return ctx.store
    .transitions(jobId)
    .filter((t) => t.to === 'swapping')
    .at(-1)?.detail as SwapDetail | undefined;
}

/**
 * Decides what happens to one job found unfinished at start (see docs/design/jobs.md):
 *  - a job parked by a graceful stop resumes without counting as a crash; any
 *    other interruption counts, and past MAX_INTERRUPTIONS the job fails;
 *  - swapping: finished now (the candidate passed its gate; the files and rows
 *    say how far the swap got), or undone when it cannot be;
 *  - validating with an intact candidate: re-gated from it, not regrown;
 *  - otherwise (queued, planning, growing, a lost candidate): leftovers are
 *    deleted and the job runs again from planning.
 * Runs after reconcile(), with the committed version serving.
 */
export async function recoverJob(ctx: RunContext, job: JobRow): Promise<Recovery> {
  const upgrade = job.kind === 'upgrade';
  const last = ctx.store.transitions(job.id).at(-1);
  // parked by a graceful stop: queued (from growth), or validating (a shadow run, resumed from its candidate)
  const parked = (job.state === 'queued' || job.state === 'validating') && last?.detail.parked === true;
  const interruptions = parked ? job.attempts : ctx.store.recordAttempt(job.id);
  const swap = job.state === 'swapping' ? swapDetail(ctx, job.id) : undefined;

  if (interruptions > MAX_INTERRUPTIONS) {
    if (swap) await undoSwap(ctx, job.id, swap, upgrade);
    removeCandidateFiles(candidateOf(ctx, job.id));
    move(
      ctx,
      job.id,
      'failed',
      { reason: `keeps crashing the daemon: interrupted ${interruptions} times, the last time while ${job.state}` },
      { crash: false },
    );
    return { outcome: 'failed' };
  }
  if (job.state === 'swapping') {
    if (!swap) {
      move(
        ctx,
        job.id,
        'failed',
        { reason: 'interrupted while swapping, and the swap was not recorded' },
        { crash: false },
      );
      return { outcome: 'rolledBack' };
    }
    return { outcome: (await finishSwap(ctx, job.id, swap, upgrade)) ? 'resumed' : 'rolledBack' };
  }
  if (!upgrade) return { outcome: 'resumed', run: 'rollback' };
  if (job.state === 'validating' && recordedPlan(ctx.store, job.id) && readCandidate(candidateOf(ctx, job.id))) {
    return { outcome: 'resumed', run: 'validating' };
  }
  removeCandidateFiles(candidateOf(ctx, job.id));
  if (job.state !== 'queued') move(ctx, job.id, 'queued', { resumeAfter: job.state, interruptions }, { crash: false });
  return { outcome: 'resumed', run: 'planning' };
}

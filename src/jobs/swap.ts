import { existsSync } from 'node:fs';
import { loadServedModel } from '../serve/served-model';
import { addVersionFromCandidate, discardVersion, flipCurrent, listVersions } from '../store/model-dirs';
import type { JsonObject, ModelVersionRow } from '../store/types';
import { removeCandidateFiles } from './candidate';
import { ActiveJob, RunContext, announce, candidateOf, errorText, move } from './context';
import { crashIfAsked } from './crash';

/** What the `swapping` transition records: enough to finish or undo the swap after a crash. */
export interface SwapDetail extends JsonObject {
  version: number;
  fromVersion: number;
  /** Upgrades: the candidate's weights digest, checked again before it serves. */
  sha256?: string;
  /** Becomes the job's result when it succeeds. */
  commit: JsonObject;
}

/** The next free version number, counting directories the database may not know. */
export function nextVersion(ctx: RunContext): number {
  const known = ctx.store.modelVersions(ctx.modelName).map((v) => v.version);
  return Math.max(0, ...known, ...listVersions(ctx.store.home, ctx.modelName)) + 1;
}

/** Loads a version on this thread and hands it to the slot: warm up, switch, drain, dispose the old one. */
async function serve(ctx: RunContext, row: ModelVersionRow): Promise<void> {
  await ctx.slot.swap(await loadServedModel(row.dir, row.version));
}

/** Makes the slot serve the committed version, unless it already does. */
export async function serveCommitted(ctx: RunContext): Promise<ModelVersionRow> {
  const committed = ctx.store.committedVersion(ctx.modelName);
  if (!committed) throw new Error(`model ${ctx.modelName} has no committed version to serve`);
  const live = ctx.slot.current();
  if (live?.version !== committed.version || live.meta.weightsSha256 !== committed.sha256) await serve(ctx, committed);
  return committed;
}

/** The version an upgrade swaps in: registered already (a resumed swap), or moved there from the candidate now. */
function install(ctx: RunContext, jobId: string, d: SwapDetail): ModelVersionRow {
  const row = ctx.store.modelVersion(ctx.modelName, d.version);
  if (row) return row;
  const dir = candidateOf(ctx, jobId);
  if (!existsSync(dir)) throw new Error(`the candidate ${dir} is gone`);
  return addVersionFromCandidate(ctx.store.home, ctx.modelName, dir, d.version, ctx.store, { parent: d.fromVersion });
}

/**
 * Puts the committed version back in the slot and, for an upgrade, deletes
 * the version it had installed (never a committed one) and its candidate.
 */
export async function undoSwap(ctx: RunContext, jobId: string, d: SwapDetail, upgrade: boolean): Promise<void> {
  await serveCommitted(ctx);
  if (!upgrade) return;
  const row = ctx.store.modelVersion(ctx.modelName, d.version);
  if (row && !row.committed) discardVersion(ctx.store.home, ctx.modelName, d.version, ctx.store);
  removeCandidateFiles(candidateOf(ctx, jobId));
}

/**
 * The swap after its `swapping` transition, for a fresh job and a resumed one
 * alike: install, load and serve vN, then commit it and end the job
 * `succeeded` in one transaction, then flip `current`. The commit is the point
 * of no return: before it, any failure (or a crash, see recover.ts) puts the
 * committed version back and ends the job `failed`. The undo comes before the
 * `failed` it leads to: a crash in between leaves the job swapping, and
 * recovery finishes or undoes it again.
 */
export async function finishSwap(
  ctx: RunContext,
  jobId: string,
  d: SwapDetail,
  upgrade: boolean,
  active?: ActiveJob,
): Promise<boolean> {
  try {
    const row = upgrade ? install(ctx, jobId, d) : ctx.store.modelVersion(ctx.modelName, d.version);
    if (!row) throw new Error(`v${d.version} is not registered`);
    if (d.sha256 !== undefined && row.sha256 !== d.sha256)
      throw new Error(`v${d.version} holds other weights than the candidate that passed the gate`);
    if (!row.committed) {
      await serve(ctx, row);
      crashIfAsked('swapping:switched');
      const done = ctx.store.atomically(() => {
        ctx.store.setCommitted(ctx.modelName, d.version);
        return ctx.store.transition(jobId, 'succeeded', { result: d.commit });
      });
      announce(ctx, done, active);
    } else {
      // vN is committed yet the job is not over: only a rollback to the version that serves gets here
      await serveCommitted(ctx);
      move(ctx, jobId, 'succeeded', { result: d.commit }, { active, crash: false });
    }
  } catch (err) {
    const reason = `swap to v${d.version} failed: ${errorText(err)}`;
    await undoSwap(ctx, jobId, d, upgrade).catch((undoErr) =>
      ctx.log({ level: 'error', msg: 'could not undo the swap', job: jobId, error: errorText(undoErr) }),
    );
    const keeps = ctx.store.committedVersion(ctx.modelName)?.version;
    move(ctx, jobId, 'failed', { reason: `${reason}; v${keeps} keeps serving` }, { active, crash: false });
    return false;
  }
  try {
    flipCurrent(ctx.store.home, ctx.modelName, d.version);
  } catch (err) {
    // committed already: reconcile() at the next start points `current` at it
    ctx.log({ level: 'error', msg: 'could not flip current', version: d.version, error: errorText(err) });
  }
  return true;
}

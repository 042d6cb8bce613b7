import { DeependError } from '../util/deepend-error';
import { isTerminal } from '../store/job-states';
import type { ModelVersionRow, Store } from '../store/types';
import { ActiveJob, RunContext, errorText, move } from './context';
import { finishSwap, SwapDetail } from './swap';

/** The version a rollback returns to by default: the committed version's parent, else the newest one below it. */
export function rollbackTarget(store: Store, name: string, version?: number): ModelVersionRow {
  const committed = store.committedVersion(name);
  if (!committed) throw new Error(`model ${name} has no committed version`);
  const all = store.modelVersions(name);
  const versions = all.filter((v) => v.quarantined === null);
  const target =
    version !== undefined
      ? all.find((v) => v.version === version)
      : (versions.find((v) => v.version === committed.parent) ??
        versions.filter((v) => v.version < committed.version).at(-1));
  if (!target)
    throw new Error(
      version !== undefined
        ? `model ${name} has no v${version}`
        : `model ${name} v${committed.version} has no earlier version to roll back to`,
    );
  if (target.quarantined)
    throw new DeependError(
      'conflict',
      `model ${name} v${target.version} is quarantined (${target.quarantined.reason})`,
    );
  if (target.version === committed.version)
    throw new DeependError('conflict', `model ${name} v${target.version} is already the committed version`);
  return target;
}

/** queued -> swapping -> succeeded | failed: the same warm, switch, drain and commit as an upgrade's swap. */
export async function runRollback(ctx: RunContext, active: ActiveJob): Promise<void> {
  const job = ctx.store.job(active.id);
  if (!job || isTerminal(job.state)) return;
  try {
    const version = job.request.version as number;
    const from = ctx.store.committedVersion(ctx.modelName);
    if (!from) throw new Error(`model ${ctx.modelName} has no committed version`);
    const target = ctx.store.modelVersion(ctx.modelName, version);
    if (!target) throw new Error(`model ${ctx.modelName} has no v${version}`);
    const detail: SwapDetail = {
      version,
      fromVersion: from.version,
      commit: { version, fromVersion: from.version, depth: target.depth, rollback: true },
    };
    move(ctx, active.id, 'swapping', detail, { active });
    await finishSwap(ctx, active.id, detail, false, active);
  } catch (err) {
    if (!isTerminal(ctx.store.job(active.id)!.state))
      move(ctx, active.id, 'failed', { reason: errorText(err) }, { active, crash: false });
  }
}

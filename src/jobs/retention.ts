import { REPORTED_SETTING } from '../store/settings';
import { discardVersion } from '../store/model-dirs';
import type { JsonObject, Store } from '../store/types';
import { rollbackTarget } from './rollback-job';

export interface RetentionPlan {
  /** Versions kept, each with why (several reasons may hold). */
  keep: { version: number; why: string[] }[];
  /** Versions whose folders (and rows) go, oldest first. */
  prune: number[];
}

/** Every version number an unfinished job's request or transitions name: it may still need them. */
function versionsJobsNeed(store: Store): Set<number> {
  const need = new Set<number>();
  const add = (d: JsonObject | null | undefined) => {
    if (!d) return;
    for (const key of ['version', 'fromVersion']) if (typeof d[key] === 'number') need.add(d[key] as number);
    const plan = d.plan as JsonObject | undefined;
    if (plan && typeof plan.fromVersion === 'number') need.add(plan.fromVersion);
  };
  for (const job of store.unfinishedJobs()) {
    add(job.request);
    for (const t of store.transitions(job.id)) add(t.detail);
  }
  return need;
}

/**
 * Which versions of a model to keep: the last `keepLast` versions that were
 * committed, the committed one, the version a rollback would return to, the
 * version that satisfied the fleet's desired state (its last `reported`
 * succeeded), and every version an unfinished job names. Only versions that
 * once served are ever pruned: one that never committed belongs to a job or to
 * recovery, and a quarantined one is already out of the way.
 */
export function retentionPlan(store: Store, name: string, keepLast: number): RetentionPlan {
  const rows = store.modelVersions(name).filter((v) => v.quarantined === null);
  const why = new Map<number, string[]>();
  const keep = (v: number | undefined, reason: string) => {
    if (v === undefined) return;
    why.set(v, [...(why.get(v) ?? []), reason]);
  };
  const served = rows.filter((v) => v.committedAt !== null).sort((a, b) => b.version - a.version);
  served.slice(0, keepLast).forEach((v) => {
    keep(v.version, `last ${keepLast}`);
  });
  keep(store.committedVersion(name)?.version, 'committed');
  try {
    keep(rollbackTarget(store, name).version, 'rollback target');
  } catch {
    /* nothing to roll back to */
  }
  const reported = store.getSetting(REPORTED_SETTING);
  if (reported) {
    const r = JSON.parse(reported) as { status?: string; modelVersion?: number };
    if (r.status === 'succeeded') keep(r.modelVersion, 'fleet desired state');
  }
  for (const v of versionsJobsNeed(store)) keep(v, 'an unfinished job');
  for (const v of rows) if (v.committedAt === null) keep(v.version, 'never committed');
  return {
    keep: [...why].map(([version, reasons]) => ({ version, why: reasons })).sort((a, b) => b.version - a.version),
    prune: served
      .filter((v) => !why.has(v.version))
      .map((v) => v.version)
      .sort((a, b) => a - b),
  };
}

/**
 * Prunes what retentionPlan gives up: each folder is renamed away first, then
 * its row is forgotten, then the files are deleted (discardVersion), with a
 * `model.pruned` event. Returns the versions pruned.
 */
export function pruneVersions(store: Store, name: string, keepLast: number): number[] {
  const plan = retentionPlan(store, name, keepLast);
  for (const version of plan.prune) {
    const row = store.modelVersion(name, version)!;
    discardVersion(store.home, name, version, store);
    store.logEvent('model.pruned', {
      name,
      version,
      depth: row.depth,
      sha256: row.sha256,
      createdAt: row.createdAt,
      keepLast,
    });
  }
  return plan.prune;
}

import { DeependError } from '../util/deepend-error';
import { loadServedModel } from '../serve/served-model';
import type { ModelSlot } from '../serve/model-slot';
import { flipCurrent } from '../store/model-dirs';
import { quarantineVersionDir } from '../store/model-quarantine';
import { verifyModelDir } from '../store/model-verify';
import type { JobRow, ModelVersionRow, Store } from '../store/types';
import { errorText } from './context';

export interface ServeCommittedDeps {
  store: Store;
  modelName: string;
  slot: ModelSlot;
  log: (line: object) => void;
  /** Told about the rollback job that records a fallback (the fleet reports it). */
  onJob?: (job: JobRow) => void;
}

export interface Fallback {
  fromVersion: number;
  version: number;
  /** Versions that failed, with why, newest first: the committed one first. */
  failed: { version: number; reason: string }[];
  quarantined: { version: number; to: string }[];
  job: JobRow;
}

/** Thrown when no committed version of the model is intact: names every version checked. */
export class NoIntactVersion extends DeependError {
  constructor(message: string) {
    super('store', message, {
      hint: 'restore the versions from a backup, or import a model with deepend models import',
    });
    this.name = 'NoIntactVersion';
  }
}

/** Checks a version's files (sha256), loads it and lets the slot warm it up and serve it. */
async function tryServe(slot: ModelSlot, row: ModelVersionRow): Promise<string | undefined> {
  try {
    verifyModelDir(row.dir);
    await slot.swap(await loadServedModel(row.dir, row.version));
    return undefined;
  } catch (err) {
    return errorText(err);
  }
}

/**
 * Start-up: serves the committed version. When its files fail their checksum
 * or its load/warm-up fails, the newest intact version that once served is
 * served instead. Then, in one transaction, the fallback is committed,
 * recorded as a rollback job (trigger automatic, reason `corrupt`) and every
 * version that failed is marked quarantined; `current` is flipped and their
 * directories are moved to models/NAME/.quarantine/ (never deleted). With no
 * intact version it throws NoIntactVersion naming each version and why, and
 * changes nothing.
 */
export async function serveCommittedOrFallback(deps: ServeCommittedDeps): Promise<Fallback | undefined> {
  const { store, modelName: name, slot, log } = deps;
  const committed = store.committedVersion(name);
  if (!committed) throw new Error(`model ${name} has no committed version to serve`);
  const first = await tryServe(slot, committed);
  if (first === undefined) return undefined;
  const failed = [{ version: committed.version, reason: first }];
  log({
    level: 'error',
    msg: 'committed version is corrupt: looking for an intact one',
    model: name,
    version: committed.version,
    reason: first,
  });

  const older = store
    .modelVersions(name)
    .filter((v) => v.version !== committed.version && v.committedAt !== null && v.quarantined === null)
    .sort((a, b) => b.version - a.version);
  let target: ModelVersionRow | undefined;
  for (const row of older) {
    const why = await tryServe(slot, row);
    if (why === undefined) {
      target = row;
      break;
    }
    failed.push({ version: row.version, reason: why });
  }
  if (!target) {
    const checked = failed.map((f) => `v${f.version} (${f.reason})`).join('; ');
    throw new NoIntactVersion(
      `no intact version of model ${name} to serve: checked ${checked}${older.length === 0 ? '; no other version ever served' : ''}`,
    );
  }

  const reason = `corrupt: v${committed.version} ${first}`.slice(0, 2000);
  const job = store.atomically(() => {
    const created = store.createJob({
      kind: 'rollback',
      trigger: 'automatic',
      request: { version: target.version, reason: 'corrupt' },
    });
    store.transition(created.id, 'swapping', {
      version: target.version,
      fromVersion: committed.version,
      commit: { version: target.version, fromVersion: committed.version, depth: target.depth, rollback: true },
    });
    store.setCommitted(name, target.version);
    for (const f of failed) store.markQuarantined(name, f.version, f.reason);
    store.logEvent('model.fallback', { name, fromVersion: committed.version, version: target.version, failed });
    return store.transition(created.id, 'succeeded', {
      reason: 'corrupt',
      result: {
        version: target.version,
        fromVersion: committed.version,
        depth: target.depth,
        rollback: true,
        reason: 'corrupt',
        detail: reason,
        quarantined: failed.map((f) => f.version),
      },
    });
  });
  const quarantined: Fallback['quarantined'] = [];
  // committed already: a file step that fails (a full or read-only disk) is finished by reconcile() at a later start
  try {
    flipCurrent(store.home, name, target.version);
    for (const f of failed) {
      const to = quarantineVersionDir(store.home, name, f.version);
      if (to) quarantined.push({ version: f.version, to });
    }
  } catch (err) {
    log({ level: 'warn', msg: 'fallback files not moved yet; done at a later start', error: errorText(err) });
  }
  log({
    level: 'warn',
    msg: 'serving a fallback version: the committed one was corrupt',
    model: name,
    version: target.version,
    fromVersion: committed.version,
    quarantined,
    job: job.id,
  });
  deps.onJob?.(job);
  return { fromVersion: committed.version, version: target.version, failed, quarantined, job };
}

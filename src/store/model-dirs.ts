import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelMeta } from '../model/meta';
import { fsyncDir, fsyncTree } from './durable';
import { StoreError } from './errors';
import { candidateDir, checkSegment, checkVersion, flipCurrent, modelRoot, versionDir } from './model-layout';
import { baseDepthOf, methodOf, verifyModelDir } from './model-verify';
import type { ModelVersionRow, NewModelVersion, Store } from './types';

export {
  CANDIDATES_DIR,
  CURRENT_LINK,
  candidateDir,
  flipCurrent,
  listVersions,
  modelRoot,
  readCurrent,
  versionDir,
} from './model-layout';
export { verifyModelDir } from './model-verify';
export { reconcile } from './model-reconcile';
export type { ReconcileReport } from './model-reconcile';

/*
 * Order of every operation here: files first (each step an atomic rename),
 * then the database rows in one transaction, then the `current` link. A crash
 * between steps leaves a state reconcile() finishes; see model-reconcile.ts.
 */

function sameHome(home: string, store: Store): void {
  if (resolve(home) !== store.home)
    throw new StoreError(resolve(home), `is not the home directory of the store (${store.home})`);
}

/** The lineage base depth of the committed version (0 when none is committed). */
export function committedBaseDepth(store: Store, name: string): number {
  const committed = store.committedVersion(name);
  return committed ? baseDepthOf(committed.dir) : 0;
}

/** The registered version whose weights the model grew from, found by meta.json's parent digest. */
export function parentVersion(store: Store, name: string, meta: ModelMeta): number | null {
  if (!meta.parent) return null;
  const match = store.modelVersions(name).find((v) => v.sha256 === meta.parent!.weightsSha256);
  return match ? match.version : null;
}

/** Version 1 of `name`: the model in `dir` (the shipped model or the user's), with no parent. */
export function firstVersionRow(name: string, meta: ModelMeta, dir: string): NewModelVersion {
  return {
    name,
    version: 1,
    parent: null,
    depth: meta.depth,
    method: methodOf(meta),
    sha256: meta.weightsSha256,
    metrics: meta.metrics,
    dir,
  };
}

/**
 * First start: copies the shipped model into models/NAME/v1 (all or nothing,
 * verified after the copy), registers it as version 1 and commits it, then
 * points `current` at it. If an earlier import registered v1 and was
 * interrupted before committing, this finishes it.
 */
export function importShipped(home: string, name: string, shippedDir: string, store: Store): ModelVersionRow {
  sameHome(home, store);
  const root = modelRoot(store.home, name);
  const committed = store.committedVersion(name);
  if (committed)
    throw new StoreError(`model ${name}`, `already has a committed version (v${committed.version}); nothing to import`);
  const meta = verifyModelDir(shippedDir);
  const dir = versionDir(store.home, name, 1);
  const registered = store.modelVersion(name, 1);
  if (registered) {
    if (registered.sha256 !== meta.weightsSha256)
      throw new StoreError(dir, `holds other weights than ${shippedDir}; not overwritten`);
  } else {
    if (store.modelVersions(name).length > 0)
      throw new StoreError(`model ${name}`, 'has versions but none committed and no v1: run reconcile first');
    if (existsSync(dir)) throw new StoreError(dir, 'exists but is not registered: run reconcile first');
    mkdirSync(root, { recursive: true });
    const tmp = join(root, `.v1.import-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    try {
      cpSync(shippedDir, tmp, { recursive: true });
      fsyncTree(tmp);
      verifyModelDir(tmp);
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    fsyncDir(root);
  }
  store.atomically(() => {
    if (!registered) {
      store.addModelVersion(firstVersionRow(name, meta, dir));
    }
    store.setCommitted(name, 1);
    store.logEvent('model.imported', { name, version: 1, from: resolve(shippedDir), sha256: meta.weightsSha256 });
  });
  flipCurrent(store.home, name, 1);
  return store.committedVersion(name)!;
}

/**
 * Moves a job's grown model (normally models/NAME/.candidates/JOBID) into vN
 * with one rename and registers it, uncommitted: committing is the swap's
 * decision (store.setCommitted, then flipCurrent). `parent` defaults to the
 * registered version whose weights meta.json names as the parent.
 */
export function addVersionFromCandidate(
  home: string,
  name: string,
  candidate: string,
  version: number,
  store: Store,
  opts: { parent?: number | null } = {},
): ModelVersionRow {
  sameHome(home, store);
  checkVersion(version);
  const dir = versionDir(store.home, name, version);
  if (store.modelVersion(name, version)) throw new StoreError(`model ${name} v${version}`, 'is already registered');
  if (existsSync(dir)) throw new StoreError(dir, 'already exists; not overwritten');
  const meta = verifyModelDir(candidate);
  const parent = opts.parent !== undefined ? opts.parent : parentVersion(store, name, meta);
  try {
    renameSync(candidate, dir);
  } catch (err) {
    throw new StoreError(
      candidate,
      `could not be moved to ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  fsyncDir(modelRoot(store.home, name));
  return store.addModelVersion({
    name,
    version,
    parent,
    depth: meta.depth,
    method: methodOf(meta),
    sha256: meta.weightsSha256,
    metrics: meta.metrics,
    dir,
  });
}

/** Deletes a job's candidate directory (and nothing else); a missing one is fine. */
export function removeCandidate(home: string, name: string, jobId: string): void {
  checkSegment('job id', jobId);
  rmSync(candidateDir(resolve(home), name, jobId), { recursive: true, force: true });
}

/**
 * Deletes an uncommitted version: its directory is first renamed away (so a
 * crash never leaves a half-deleted vN), then its row, then the files.
 */
export function discardVersion(home: string, name: string, version: number, store: Store): void {
  sameHome(home, store);
  const row = store.modelVersion(name, version);
  if (row?.committed)
    throw new StoreError(`model ${name} v${version}`, 'is the committed version: commit another one first');
  const dir = versionDir(store.home, name, version);
  const doomed = join(modelRoot(store.home, name), `.v${version}.discard-${process.pid}`);
  if (existsSync(dir)) renameSync(dir, doomed);
  if (row) store.forgetModelVersion(name, version);
  rmSync(doomed, { recursive: true, force: true });
}

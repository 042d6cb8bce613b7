import { existsSync, lstatSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ModelMeta } from '../model/meta';
import { StoreError } from './errors';
import { isTerminal } from './job-states';
import {
  CANDIDATES_DIR,
  CURRENT_LINK,
  flipCurrent,
  listVersions,
  modelRoot,
  readCurrent,
  removeCurrentLink,
  versionDir,
} from './model-layout';
import { quarantineVersionDir } from './model-quarantine';
import { readVersionRecord } from './version-record';
import { methodOf, verifyModelDir } from './model-verify';
import type { Store } from './types';

export interface ReconcileReport {
  /** One line per repair, in the order done; empty when disk and database already agreed. */
  actions: string[];
  /** The committed version afterwards, if any. */
  committed: number | undefined;
}

/** Our own temporary names: a link being flipped, a version being imported or discarded. */
const LEFTOVER = /^\.(current\.tmp-|v[0-9]+\.(import|discard)-)/;

/**
 * Makes models/NAME and the database agree after a crash. Run it at start,
 * before any job runs. The database decides what is committed; nothing that
 * could be a model is deleted unless the database says it is finished with it.
 *
 *  - our temporary entries (.current.tmp-*, .vN.import-*, .vN.discard-*) are removed;
 *  - .candidates/JOBID of a job that ended, or that the database does not know, is removed;
 *    a non-terminal job's candidate stays for the job runner to resume or discard;
 *  - a vN directory without a row is a version whose rename finished but whose
 *    registration did not (or a database that was lost): it is verified and
 *    registered, uncommitted; one that fails verification is an error, left as is;
 *  - a quarantined row whose vN is still there (a crash after the fallback
 *    committed) has its directory moved to .quarantine/ now;
 *  - an uncommitted row whose directory is gone (an operator freed disk space) is forgotten;
 *  - a committed row whose directory is gone is an error: nothing can serve;
 *  - with no committed version, the version `current` links to is committed
 *    (the database was lost: the link is the last record of what served);
 *  - `current` is flipped to the committed version, or removed when none is committed.
 *
 * Errors are found before anything is changed.
 */
export function reconcile(home: string, name: string, store: Store): ReconcileReport {
  if (resolve(home) !== store.home)
    throw new StoreError(resolve(home), `is not the home directory of the store (${store.home})`);
  const root = modelRoot(store.home, name);
  const actions: string[] = [];
  const act = (line: string) => {
    actions.push(line);
    store.logEvent('model.reconcile', { name, action: line });
  };

  const rows = new Map(store.modelVersions(name).map((r) => [r.version, r]));
  const committed = store.committedVersion(name);
  if (committed && !isDir(versionDir(store.home, name, committed.version))) {
    throw new StoreError(
      versionDir(store.home, name, committed.version),
      `is missing but the database commits model ${name} v${committed.version}: restore it, nothing was changed`,
    );
  }
  const link = join(root, CURRENT_LINK);
  if (existsSync(link) && !lstatSync(link).isSymbolicLink()) {
    throw new StoreError(link, 'is not a symlink: move it away so deepend can manage it, nothing was changed');
  }
  const strays = new Map<number, ModelMeta>();
  for (const v of listVersions(store.home, name)) {
    if (!rows.has(v)) strays.set(v, verifyModelDir(versionDir(store.home, name, v)));
  }
  if (!existsSync(root)) return { actions, committed: committed?.version };

  for (const entry of readdirSync(root)) {
    if (LEFTOVER.test(entry)) {
      rmSync(join(root, entry), { recursive: true, force: true });
      act(`removed leftover ${entry}`);
    }
  }

  const candidates = join(root, CANDIDATES_DIR);
  if (isDir(candidates)) {
    for (const jobId of readdirSync(candidates)) {
      const job = store.job(jobId);
      if (job && !isTerminal(job.state)) continue;
      rmSync(join(candidates, jobId), { recursive: true, force: true });
      act(`removed candidate ${jobId} (${job ? `job ${job.state}` : 'no such job'})`);
    }
  }

  // ascending, so a parent found on disk is registered before its children
  for (const [v, meta] of strays) {
    // the store's own record in meta.json (version-record.ts) gives back the lineage and times the database had
    const record = readVersionRecord(versionDir(store.home, name, v), v);
    const byDigest = meta.parent
      ? ([...rows.values()].find((r) => r.sha256 === meta.parent!.weightsSha256)?.version ?? null)
      : null;
    const parent =
      record?.parent !== undefined && record.parent !== null && rows.has(record.parent) ? record.parent : byDigest;
    const row = store.addModelVersion({
      name,
      version: v,
      parent,
      depth: meta.depth,
      method: methodOf(meta),
      sha256: meta.weightsSha256,
      metrics: meta.metrics,
      dir: versionDir(store.home, name, v),
      createdAt: record?.createdAt ?? meta.createdAt,
      committedAt: record?.committedAt ?? null,
    });
    rows.set(v, row);
    act(`registered v${v} found on disk (uncommitted${record ? ', history from its meta.json' : ''})`);
  }

  for (const row of rows.values()) {
    if (row.quarantined) {
      // marked in the fallback's transaction; a crash came before its files were moved aside
      const to = quarantineVersionDir(store.home, name, row.version);
      if (to) act(`moved quarantined v${row.version} to ${to}`);
      continue;
    }
    if (row.committed || isDir(versionDir(store.home, name, row.version))) continue;
    store.forgetModelVersion(name, row.version);
    rows.delete(row.version);
    act(`forgot v${row.version}: its directory is gone`);
  }

  let serving = committed?.version;
  if (serving === undefined) {
    const linked = readCurrent(store.home, name);
    if (linked !== undefined && rows.has(linked)) {
      store.setCommitted(name, linked);
      serving = linked;
      act(`committed v${linked}: no committed version was recorded and current links to it`);
    }
  }

  if (serving !== undefined && readCurrent(store.home, name) !== serving) {
    flipCurrent(store.home, name, serving);
    act(`pointed current at v${serving}`);
  } else if (serving === undefined && removeCurrentLink(store.home, name)) {
    act('removed current: no version is committed');
  }
  return { actions, committed: serving };
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config';
import { checkParentAboveChance } from '../grow/preflight';
import { describeContract, parseScale } from '../model/input-contract';
import { LoadedModel, saveModel, sha256Hex } from '../model/io';
import { readModelArtifacts } from '../model/formats';
import type { ModelMeta } from '../model/meta';
import { ImportFlags, openModelWithData } from '../model/open';
import { evaluate } from '../train/classifier';
import { forgetUpgradeDecision } from './upgrade-settings';
import { disposeTensorSet, toTensorSet } from '../train/tensors';
import { addVersionFromCandidate, CANDIDATES_DIR, flipCurrent, importShipped, modelRoot } from '../store/model-dirs';
import { lineageOf } from '../store/model-verify';
import type { ModelVersionRow, Store } from '../store/types';
import type { Logger } from '../util/log';

/** config model.freezeThrough / inputScale / labels as the import options of the CLI. */
export function configImportFlags(config: Config): ImportFlags {
  const { freezeThrough, labels, inputScale } = config.model;
  return { freezeThrough, labels, contract: inputScale ? { scale: parseScale(inputScale) } : undefined };
}

function sameLineage(row: ModelVersionRow, source: string, sha: string | undefined): boolean {
  try {
    const origin = lineageOf(row.dir);
    return origin.source === source && origin.sourceSha256 === sha;
  } catch {
    return false;
  }
}

/** The held-out figures of the imported model, in its meta.json as any version's are; refuses a model at chance. */
function measure(
  loaded: LoadedModel,
  split: Awaited<ReturnType<typeof openModelWithData>>['split'],
  data: string,
): void {
  const { meta } = loaded;
  const test = toTensorSet(split.test, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
  try {
    checkParentAboveChance(
      loaded.model,
      test,
      meta.labels,
      meta.inputContract ? describeContract(meta.inputContract) : 'none',
    );
    const result = evaluate(loaded.model, test);
    meta.metrics = { accuracy: result.accuracy, loss: result.loss, splitFingerprint: split.fingerprint, data };
  } finally {
    disposeTensorSet(test);
  }
}

/**
 * A user's model (TF.js directory, .h5, .keras) as a deepend model directory
 * at `dir`, measured on the daemon's data: what the daemon imports. The
 * user's files are only read.
 */
export async function prepareUserModel(
  config: Config,
  path: string,
  flags: ImportFlags,
  backend: string,
  dir: string,
): Promise<ModelMeta> {
  const limit = config.dataLimit > 0 ? config.dataLimit : undefined;
  const { loaded, split } = await openModelWithData(path, config.data, flags, backend, {}, limit);
  try {
    measure(loaded, split, config.data);
    return await saveModel(loaded.model, { ...loaded.meta, name: config.model.name }, dir);
  } finally {
    loaded.model.dispose();
  }
}

/** Registers a prepared import as the committed version when no daemon serves: v1 on a new home, else the next one. */
export function commitImported(config: Config, store: Store, dir: string, source: string): ModelVersionRow {
  const { name } = config.model;
  if (!store.committedVersion(name)) return importShipped(config.home, name, dir, store);
  const version = Math.max(...store.modelVersions(name).map((v) => v.version)) + 1;
  const added = addVersionFromCandidate(config.home, name, dir, version, store, { parent: null });
  store.atomically(() => {
    store.setCommitted(name, version);
    store.logEvent('model.imported', { name, version, from: source, sha256: added.sha256 });
    forgetUpgradeDecision(store);
  });
  flipCurrent(store.home, name, version);
  return store.committedVersion(name)!;
}

/**
 * A prepared import (under the home's candidates, where `deepend models
 * import` writes it) registered as the next version, not yet committed: the
 * running daemon then swaps to it as it swaps any version in.
 */
export function registerPreparedImport(config: Config, store: Store, dir: string): number {
  const { name } = config.model;
  const root = join(modelRoot(config.home, name), CANDIDATES_DIR);
  if (dirname(resolve(dir)) !== root) throw new Error(`${dir}: an import to register must be prepared in ${root}`);
  const version = Math.max(0, ...store.modelVersions(name).map((v) => v.version)) + 1;
  addVersionFromCandidate(config.home, name, dir, version, store, { parent: null });
  return version;
}

/**
 * config model.path: the user's own model becomes the served lineage. On a new
 * home it is imported as v1 (instead of the shipped model); when the file at
 * model.path is not the model an earlier version was imported from, it is
 * imported as the next version and committed. Returns the version imported,
 * or undefined when there was nothing to import.
 */
export async function adoptUserModel(
  config: Config,
  store: Store,
  backend: string,
  log: Logger,
): Promise<ModelVersionRow | undefined> {
  const { name, path } = config.model;
  if (!path) return undefined;
  const tmp = join(modelRoot(config.home, name), `.import-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    // Every start reads the files to see whether they changed; the data is loaded only when they did.
    const artifacts = await readModelArtifacts(path);
    if (
      store
        .modelVersions(name)
        .some((v) => sameLineage(v, artifacts.source, sha256Hex(new Uint8Array(artifacts.weightData))))
    )
      return undefined;
    const meta = await prepareUserModel(config, path, configImportFlags(config), backend, tmp);
    const row = commitImported(config, store, tmp, meta.origin?.source ?? path);
    log.info('user model imported', {
      model: name,
      version: row.version,
      from: meta.origin?.source,
      format: meta.origin?.format,
      depth: meta.depth,
      accuracy: meta.metrics.accuracy,
    });
    return row;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

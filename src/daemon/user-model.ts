import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';
import { checkParentAboveChance } from '../grow/preflight';
import { describeContract, parseScale } from '../model/input-contract';
import { LoadedModel, saveModel } from '../model/io';
import { openModelWithData } from '../model/open';
import { evaluate } from '../train/classifier';
import { disposeTensorSet, toTensorSet } from '../train/tensors';
import { addVersionFromCandidate, flipCurrent, importShipped, modelRoot } from '../store/model-dirs';
import { lineageOf } from '../store/model-verify';
import type { ModelVersionRow, Store } from '../store/types';
import type { Logger } from './log';

function sameLineage(row: ModelVersionRow, source: string, sha: string | undefined): boolean {
  try {
    const origin = lineageOf(row.dir);
    return origin.source === source && origin.sourceSha256 === sha;
  } catch {
    return false;
  }
}

/** The held-out figures of the imported model, in its meta.json as any version's are; refuses a model at chance. */
function measure(loaded: LoadedModel, split: Awaited<ReturnType<typeof openModelWithData>>['split'], data: string): void {
  const { meta } = loaded;
  const test = toTensorSet(split.test, meta.normalisation, meta.labels.length, meta.arch.output, meta.inputShape);
  try {
    checkParentAboveChance(loaded.model, test, meta.labels, meta.inputContract ? describeContract(meta.inputContract) : 'none');
    const result = evaluate(loaded.model, test);
    meta.metrics = { accuracy: result.accuracy, loss: result.loss, splitFingerprint: split.fingerprint, data };
  } finally {
    disposeTensorSet(test);
  }
}

/**
 * config model.path: the user's own model becomes the served lineage. On a new
 * home it is imported as v1 (instead of the shipped model); when the file at
 * model.path is not the model an earlier version was imported from, it is
 * imported as the next version and committed. Nothing is written into the
 * user's files. Returns the version imported, or undefined when it was already.
 */
export async function adoptUserModel(config: Config, store: Store, backend: string, log: Logger): Promise<ModelVersionRow | undefined> {
  const { name, path } = config.model;
  if (!path) return undefined;
  const { loaded, split } = await openModelWithData(
    path,
    config.data,
    { freezeThrough: config.model.freezeThrough, labels: config.model.labels, contract: config.model.inputScale ? { scale: parseScale(config.model.inputScale) } : undefined },
    backend,
  );
  const tmp = join(modelRoot(config.home, name), `.import-${process.pid}`);
  try {
    const { meta } = loaded;
    const source = meta.origin?.source ?? path;
    if (store.modelVersions(name).some((v) => sameLineage(v, source, meta.origin?.sourceSha256))) return undefined;
    measure(loaded, split, config.data);
    rmSync(tmp, { recursive: true, force: true });
    await saveModel(loaded.model, meta, tmp);
    const committed = store.committedVersion(name);
    let row: ModelVersionRow;
    if (!committed) {
      row = importShipped(config.home, name, tmp, store);
    } else {
      const version = Math.max(...store.modelVersions(name).map((v) => v.version)) + 1;
      const added = addVersionFromCandidate(config.home, name, tmp, version, store, { parent: null });
      store.atomically(() => {
        store.setCommitted(name, version);
        store.logEvent('model.imported', { name, version, from: source, sha256: added.sha256 });
      });
      flipCurrent(store.home, name, version);
      row = store.committedVersion(name)!;
    }
    log.info('user model imported', { model: name, version: row.version, from: source, format: meta.origin?.format, depth: meta.depth, accuracy: meta.metrics.accuracy });
    return row;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    loaded.model.dispose();
  }
}

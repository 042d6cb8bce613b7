import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dataInputShape, loadSplitForModel } from '../data/for-model';
import { loadDataset } from '../data/load';
import { assertFits } from '../data/normalise';
import { remapClasses } from '../data/remap';
import { splitDataset } from '../data/split';
import type { DataSplit, SplitSpec } from '../data/types';
import { tfl } from '../tf';
import { ImportedArtifacts, loadArtifacts, readModelArtifacts } from './formats';
import { importedMeta, ImportOptions, ImportSource } from './import';
import { analyseKeras } from './keras/analyse';
import { layerFeedingOutput } from './keras/chain-walk';
import { firstLine } from '../util/deepend-error';
import { assertEmbeddingInput } from './embedding-input';
import { LoadedModel, loadModel, META_JSON, sha256Hex } from './io';
import { META_FORMAT } from './meta';

/** True for a directory deepend wrote (a meta.json in deepend's format beside model.json). */
export function isDeependModelDir(path: string): boolean {
  const metaPath = join(path, META_JSON);
  if (!existsSync(path) || !statSync(path).isDirectory() || !existsSync(metaPath)) return false;
  try {
    return (JSON.parse(readFileSync(metaPath, 'utf8')) as { format?: unknown }).format === META_FORMAT;
  } catch {
    return false;
  }
}

/** Options that only mean something when deepend imports a model. */
export type ImportFlags = Omit<ImportOptions, 'dataKind' | 'dataClasses'>;

function hasImportFlags(flags: ImportFlags): boolean {
  return flags.freezeThrough !== undefined || flags.labels !== undefined || flags.contract !== undefined;
}

function importSourceOf(artifacts: ImportedArtifacts, model: tfl.LayersModel, backend: string): ImportSource {
  return {
    model,
    origin: { format: artifacts.format, source: artifacts.source, producer: artifacts.producer },
    labels: artifacts.labels,
    loss: artifacts.loss,
    weightsSha256: sha256Hex(new Uint8Array(artifacts.weightData)),
    backend,
  };
}

/**
 * The model at `path` with the local data split for it. A directory deepend
 * wrote is loaded as it is; anything else is imported: its labels come from
 * --labels, a labels file beside it or the data's classes, and the data is
 * loaded in the model's input shape.
 */
export async function openModelWithData(
  path: string,
  data: string,
  flags: ImportFlags,
  backend: string,
  split: Partial<SplitSpec> = {},
  limit?: number,
  purpose: 'grow' | 'evaluate' = 'grow',
): Promise<{ loaded: LoadedModel; split: DataSplit; notGrowable?: string }> {
  if (isDeependModelDir(path)) {
    if (hasImportFlags(flags))
      throw new Error(
        `${path}: is a model deepend already imported; --freeze-through, --labels and --input-* apply when importing`,
      );
    const loaded = await loadModel(path);
    try {
      return { loaded, split: await loadSplitForModel(data, loaded.meta, split, limit) };
    } catch (err) {
      loaded.model.dispose();
      throw err;
    }
  }
  const artifacts = await readModelArtifacts(path);
  const model: tfl.LayersModel = await loadArtifacts(artifacts);
  try {
    // The model's own problems first: they need no data, and the data is not worth loading for a model that cannot grow.
    const { freezeThrough, notGrowable } = analysableAs(model, artifacts, flags, purpose);
    const inputShape = model.inputs[0].shape.slice(1) as number[];
    const shape = dataInputShape(inputShape, data);
    const dataset = await loadDataset(data, { inputShape: shape.every((d) => d > 0) ? shape : undefined, limit });
    const { meta } = importedMeta(importSourceOf(artifacts, model, backend), {
      ...flags,
      freezeThrough,
      dataKind: dataset.kind,
      dataClasses: dataset.classes,
    });
    const fitted = remapClasses(dataset, meta.labels);
    assertFits(fitted, shape, meta.labels.length);
    assertEmbeddingInput(model, fitted, meta.normalisation);
    return {
      loaded: { model, meta, dir: artifacts.source },
      split: splitDataset(fitted, split),
      ...(notGrowable ? { notGrowable } : {}),
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * The --freeze-through the model is read with: the user's. A model to evaluate that cannot grow as it is (a Conv1D
 * or a join before its output) is read frozen through the layer that feeds its output layer, and the reason it
 * cannot grow is handed back; its output's own problems (a regression) are still refused.
 */
function analysableAs(
  model: tfl.LayersModel,
  artifacts: ImportedArtifacts,
  flags: ImportFlags,
  purpose: 'grow' | 'evaluate',
): { freezeThrough?: string; notGrowable?: string } {
  const read = (freezeThrough: string | undefined) =>
    analyseKeras(model, { freezeThrough, source: artifacts.source, loss: artifacts.loss });
  try {
    read(flags.freezeThrough);
    return { freezeThrough: flags.freezeThrough };
  } catch (err) {
    const feeding = purpose === 'evaluate' && flags.freezeThrough === undefined ? layerFeedingOutput(model) : undefined;
    if (!feeding) throw err;
    read(feeding);
    return { freezeThrough: feeding, notGrowable: firstLine(err) };
  }
}

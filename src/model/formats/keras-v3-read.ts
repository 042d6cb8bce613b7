import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { tfl } from '../../tf';
import type { ModelProducer, ReadModel } from './types';
import { datasetFloats, H5File, isDataset, isGroup, openH5 } from './h5';
import { normaliseTopology } from './keras-config';
import { keras3LayerPaths } from './keras3-paths';
import { modelFromTopology } from './tfjs-model';
import { assignLayerWeights, StoredArray } from './weights-by-layer';
import { messageOf, problem } from './problem';
import { trainingLossOf } from './training-loss';

type Layer = tfl.LayersModel['layers'][number];

export const ZIP_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

function unzip(path: string): Record<string, Uint8Array> {
  const bytes = readFileSync(path);
  if (bytes.byteLength < 4 || !bytes.subarray(0, 4).equals(ZIP_SIGNATURE))
    throw problem(path, 'not a zip archive (a .keras file is one)');
  try {
    return unzipSync(bytes);
  } catch (err) {
    throw problem(path, `corrupt zip archive (${messageOf(err)})`);
  }
}

function jsonEntry(files: Record<string, Uint8Array>, name: string, path: string): Record<string, unknown> | undefined {
  const bytes = files[name];
  if (!bytes) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw problem(path, `${name} inside is not valid JSON (${messageOf(err)})`);
  }
}

function layerByChain(model: tfl.LayersModel, chain: string[], path: string): Layer {
  let layer: Layer = model;
  for (const name of chain) {
    try {
      layer = (layer as tfl.LayersModel).getLayer(name);
    } catch {
      throw problem(path, `config.json names layer "${chain.join('/')}" but the model built from it has none`);
    }
  }
  return layer;
}

function varsOf(file: H5File, varsPath: string, path: string): StoredArray[] {
  const group = file.get(varsPath);
  if (!isGroup(group)) return [];
  const keys = group
    .keys()
    .filter((k) => /^\d+$/.test(k))
    .sort((a, b) => Number(a) - Number(b));
  return keys.map((k, i) => {
    const where = `model.weights.h5:${varsPath}/${k}`;
    if (Number(k) !== i) throw problem(path, `${varsPath} has no variable ${i} (found ${keys.join(', ')})`);
    const ds = group.get(k);
    if (!isDataset(ds)) throw problem(path, `${where} is not a dataset`);
    return { where, shape: ds.shape ?? [], values: datasetFloats(ds, where, path) };
  });
}

function assignAll(model: tfl.LayersModel, topology: Record<string, unknown>, file: H5File, path: string): void {
  // Keras 2.13-2.15 wrote `_layer_checkpoint_dependencies` where Keras 3 writes `layers`.
  const legacy = file.get('layers') === null && file.get('_layer_checkpoint_dependencies') !== null;
  for (const entry of keras3LayerPaths(topology)) {
    const layer = layerByChain(model, entry.chain, path);
    const varsPath = `${legacy ? entry.path.replace(/(^|\/)layers(?=\/)/g, '$1_layer_checkpoint_dependencies') : entry.path}/vars`;
    let arrays = varsOf(file, varsPath, path);
    // a recurrent layer (LSTM, GRU, SimpleRNN) keeps its variables in its cell
    if (arrays.length === 0) arrays = varsOf(file, varsPath.replace(/\/vars$/, '/cell/vars'), path);
    if (layer.weights.length === 0 && arrays.length === 0) continue;
    if (arrays.length === 0)
      throw problem(path, `layer "${entry.chain.join('/')}" has weights but model.weights.h5 has none at ${varsPath}`);
    assignLayerWeights(layer, arrays, path);
  }
}

/** Reads a Keras 3 `.keras` archive (and the Keras 2.13-2.15 one): config.json, metadata.json, model.weights.h5. */
export async function readKerasV3(path: string): Promise<ReadModel> {
  const files = unzip(path);
  const config = jsonEntry(files, 'config.json', path);
  if (!config) throw problem(path, 'no config.json inside: not a Keras .keras model archive');
  const metadata = jsonEntry(files, 'metadata.json', path) ?? {};
  const weights = files['model.weights.h5'];
  if (!weights) {
    const npz = files['model.weights.npz'] ? ' (it has model.weights.npz, which deepend does not read)' : '';
    throw problem(path, `no model.weights.h5 inside${npz}`);
  }
  const loss = trainingLossOf(config.compile_config); // before normaliseTopology, which drops compile_config
  const topology = normaliseTopology(config, path);
  const producer: ModelProducer = {};
  if (typeof metadata.keras_version === 'string') producer.kerasVersion = metadata.keras_version;
  if (typeof metadata.backend === 'string') producer.backend = metadata.backend;
  const tmp = mkdtempSync(join(tmpdir(), 'deepend-keras-'));
  try {
    const h5Path = join(tmp, 'model.weights.h5');
    writeFileSync(h5Path, weights);
    const file = await openH5(h5Path, `${path}: model.weights.h5`);
    try {
      const model = await modelFromTopology(topology, path);
      try {
        assignAll(model, topology, file, path);
      } catch (err) {
        model.dispose();
        throw err;
      }
      return { model, producer, ...(loss ? { loss } : {}) };
    } finally {
      file.close();
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

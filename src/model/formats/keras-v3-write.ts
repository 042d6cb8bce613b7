import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { tfl } from '../../tf';
import type { ModelArtifactsInMemory } from './types';
import { H5Group, h5wasm, hdf5Reason } from './h5';
import { keras3LayerPaths, toSnakeCase } from './keras3-paths';
import { toKeras3Config } from './keras3-config';
import { loadArtifacts } from './tfjs-model';
import { kerasLossConfig, TrainingLoss } from './training-loss';
import { DAEMON_VERSION } from '../../util/version';

type Layer = tfl.LayersModel['layers'][number];

/** The Keras file format version the archive follows; Keras records it in metadata.json and does not check it. */
const KERAS_FORMAT_VERSION = '3.0.0';

function group(root: H5Group, path: string): H5Group {
  let g = root;
  for (const part of path.split('/').filter(Boolean))
    g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as H5Group;
  return g;
}

function layerAt(model: tfl.LayersModel, chain: string[]): Layer {
  return chain.reduce<Layer>((layer, name) => (layer as tfl.LayersModel).getLayer(name), model);
}

/** Every model group has a `vars` group (a model keeps no variables of its own), as Keras writes it. */
function modelVarsGroups(root: H5Group, paths: string[]): void {
  group(root, 'vars');
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 2; i < parts.length; i += 2)
      if (parts[i] === 'layers') group(root, `${parts.slice(0, i).join('/')}/vars`);
  }
}

async function writeWeightsH5(path: string, model: tfl.LayersModel, config: Record<string, unknown>): Promise<void> {
  const h5 = await h5wasm();
  const file = new h5.File(path, 'w');
  try {
    const paths = keras3LayerPaths(config);
    modelVarsGroups(
      file,
      paths.map((p) => p.path),
    );
    for (const entry of paths) {
      const layer = layerAt(model, entry.chain);
      const own = group(file, `${entry.path}/vars`);
      own.create_attribute('name', layer.name);
      // a recurrent layer's variables are its cell's, which Keras keeps under <path>/cell/vars
      const recurrent = layer instanceof tfl.RNN && layer.weights.length > 0;
      const vars = recurrent ? group(file, `${entry.path}/cell/vars`) : own;
      if (recurrent) vars.create_attribute('name', cellName(layer));
      layer.weights.forEach((variable, i) => {
        const values = variable.read().dataSync();
        const data = values instanceof Int32Array ? values : Float32Array.from(values as Float32Array);
        vars.create_dataset({
          name: String(i),
          data,
          shape: [...(variable.shape as number[])],
          dtype: data instanceof Int32Array ? '<i' : '<f',
        });
      });
    }
  } catch (err) {
    throw new Error(`model.weights.h5: HDF5 could not write it (${hdf5Reason(err)})`);
  } finally {
    file.close();
  }
}

/** The name Keras gives a recurrent layer's cell: its class's (`lstm_cell`, `simple_rnn_cell`). */
function cellName(layer: tfl.layers.Layer): string {
  const cell = (layer as unknown as { cell?: tfl.layers.Layer }).cell;
  return toSnakeCase(cell?.getClassName() ?? `${layer.getClassName()}Cell`);
}

/**
 * A Keras 3 `.keras` archive of the model: metadata.json, config.json and model.weights.h5, zipped. With `loss`,
 * config.json's compile_config names it (no optimizer: Keras compiles with its default, and warns that the archive
 * has no optimizer variables), so that a one-unit logit output reads back as a classifier, not a regression.
 */
export async function kerasFileBytes(a: ModelArtifactsInMemory, loss?: TrainingLoss): Promise<Uint8Array> {
  const model = await loadArtifacts(a);
  const tmp = mkdtempSync(join(tmpdir(), 'deepend-keras-'));
  try {
    const config = toKeras3Config(model.toJSON(null, false) as Record<string, unknown>, model);
    if (loss) config.compile_config = { loss: kerasLossConfig(loss) };
    const h5Path = join(tmp, 'model.weights.h5');
    await writeWeightsH5(h5Path, model, config);
    const now = new Date().toISOString();
    const metadata = {
      keras_version: KERAS_FORMAT_VERSION,
      date_saved: `${now.slice(0, 10)}@${now.slice(11, 19)}`,
      saved_by: `deepend ${DAEMON_VERSION}`,
    };
    return zipSync({
      'metadata.json': strToU8(JSON.stringify(metadata)),
      'config.json': strToU8(JSON.stringify(config)),
      'model.weights.h5': [new Uint8Array(readFileSync(h5Path)), { level: 0 }],
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    model.dispose();
  }
}

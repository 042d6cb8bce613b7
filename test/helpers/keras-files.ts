// Writes Keras model files the way Keras itself lays them out, with h5wasm and fflate, for the readers' tests:
// a Keras 2 `.h5` (model.save() / save_weights()) and a Keras 3 `.keras` archive from a hand-written config.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { tfl } from '../../src/tf';
import { h5wasm, H5Group } from '../../src/model/formats/h5';
import { Keras3Fixture, layerAt } from './keras3-fixtures';

/** h5py stores Keras's name lists as fixed-length byte strings. */
function fixedStrings(group: H5Group, name: string, values: string[]): void {
  if (values.length === 0) return;
  const width = Math.max(...values.map((v) => Buffer.byteLength(v)));
  group.create_attribute(name, values, [values.length], `S${width}`);
}

function subgroup(parent: H5Group, path: string): H5Group {
  let g = parent;
  for (const part of path.split('/')) g = (g.keys().includes(part) ? g.get(part) : g.create_group(part)) as H5Group;
  return g;
}

/**
 * Keras 2 `model.save('x.h5')`: root attributes keras_version, backend, model_config (JSON); group model_weights
 * with layer_names; one group per layer whose weight_names (`dense_1/kernel:0`, in layer.weights order: for a
 * nested model all its trainable then non-trainable weights) name datasets inside it. `weightsOnly` writes what
 * save_weights() writes: the layer groups at the root and no model_config.
 */
export async function writeKeras2H5(
  path: string,
  model: tfl.LayersModel,
  options: { kerasVersion?: string; weightsOnly?: boolean } = {},
): Promise<void> {
  const h5 = await h5wasm();
  const file = new h5.File(path, 'w');
  try {
    const version = options.kerasVersion ?? '2.15.0';
    const topology = model.toJSON(null, false) as Record<string, unknown>;
    if (!options.weightsOnly) {
      file.create_attribute('keras_version', version);
      file.create_attribute('backend', 'tensorflow');
      file.create_attribute(
        'model_config',
        JSON.stringify({ class_name: topology.class_name, config: topology.config }),
      );
      file.create_attribute(
        'training_config',
        JSON.stringify({ loss: 'categorical_crossentropy', metrics: ['accuracy'] }),
      );
    }
    const root: H5Group = options.weightsOnly ? file : file.create_group('model_weights');
    fixedStrings(
      root,
      'layer_names',
      model.layers.map((l) => l.name),
    );
    root.create_attribute('backend', 'tensorflow');
    root.create_attribute('keras_version', version);
    for (const layer of model.layers) {
      const group = root.create_group(layer.name);
      const names = layer.weights.map((w) => `${w.originalName}:0`);
      fixedStrings(group, 'weight_names', names);
      layer.weights.forEach((w, i) => {
        const parts = names[i].split('/');
        const parent = parts.length > 1 ? subgroup(group, parts.slice(0, -1).join('/')) : group;
        parent.create_dataset({
          name: parts[parts.length - 1],
          data: Float32Array.from(w.read().dataSync()),
          shape: [...(w.shape as number[])],
        });
      });
    }
  } finally {
    file.close();
  }
}

/**
 * A Keras 3 `.keras` archive of `model` (the fixture's reference, weights set): the fixture's config.json, a
 * metadata.json and model.weights.h5 with each layer's variables at the fixture's `<path>/vars/<i>` (with
 * `legacy`, under `_layer_checkpoint_dependencies` as Keras 2.13-2.15 wrote them).
 */
export async function writeKeras3Archive(
  path: string,
  fixture: Keras3Fixture,
  model: tfl.LayersModel,
  legacy = false,
): Promise<void> {
  const h5 = await h5wasm();
  const tmp = mkdtempSync(join(tmpdir(), 'deepend-test-keras-'));
  try {
    const h5Path = join(tmp, 'model.weights.h5');
    const file = new h5.File(h5Path, 'w');
    try {
      file.create_group('vars');
      for (const place of fixture.places) {
        const where = legacy
          ? place.path.replace(/(^|\/)layers(?=\/)/g, '$1_layer_checkpoint_dependencies')
          : place.path;
        const vars = subgroup(file, `${where}/vars`);
        layerAt(model, place.chain).weights.forEach((w, i) => {
          vars.create_dataset({
            name: String(i),
            data: Float32Array.from(w.read().dataSync()),
            shape: [...(w.shape as number[])],
          });
        });
      }
    } finally {
      file.close();
    }
    const archive = zipSync({
      'metadata.json': strToU8(
        JSON.stringify({ keras_version: legacy ? '2.15.0' : '3.3.3', date_saved: '2024-05-01@12:00:00' }),
      ),
      'config.json': strToU8(JSON.stringify(fixture.config)),
      'model.weights.h5': new Uint8Array(readFileSync(h5Path)),
    });
    writeFileSync(path, archive);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

import type { ModelProducer, ReadModel } from './types';
import { datasetFloats, H5File, H5Group, isDataset, isGroup, openH5, stringAttr, stringListAttr } from './h5';
import { normaliseTopology } from './keras-config';
import { modelFromTopology } from './tfjs-model';
import { assignLayerWeights, StoredArray } from './weights-by-layer';
import { problem } from './problem';
import { parseTrainingConfig, trainingLossOf } from './training-loss';

function modelConfig(file: H5File, path: string): Record<string, unknown> {
  const text = stringAttr(file, 'model_config');
  if (text === undefined) {
    const weightsOnly =
      file.attrs.layer_names !== undefined ||
      file.attrs.layer_names0 !== undefined ||
      file.get('model_weights') !== null;
    if (weightsOnly) {
      throw problem(
        path,
        'holds weights only (no model_config): deepend needs the architecture too; save the model with model.save(), not save_weights()',
      );
    }
    throw problem(path, 'not a Keras model file (an HDF5 file without a model_config attribute)');
  }
  try {
    return { model_config: JSON.parse(text) };
  } catch {
    throw problem(path, 'its model_config attribute is not valid JSON');
  }
}

/** The arrays a Keras 2 layer group lists in `weight_names`, in that order. */
function layerArrays(group: H5Group, groupPath: string, path: string): StoredArray[] {
  const names = stringListAttr(group, 'weight_names') ?? [];
  return names.map((name) => {
    const where = `${groupPath}/${name}`;
    const ds = group.get(name);
    if (!isDataset(ds)) throw problem(path, `${where} is missing (listed in ${groupPath}'s weight_names)`);
    return { where, shape: ds.shape ?? [], values: datasetFloats(ds, where, path) };
  });
}

/**
 * Reads a Keras .h5 model file (Keras 1.x-2.x `model.save()`, and Keras 3's legacy .h5): the `model_config`
 * attribute builds the model, then every layer takes the arrays its `model_weights/<layer>` group lists.
 */
export async function readKerasH5(path: string): Promise<ReadModel> {
  const file = await openH5(path, path);
  try {
    const topology = normaliseTopology(modelConfig(file, path), path);
    const weightsRoot = file.get('model_weights');
    const root: H5Group = isGroup(weightsRoot) ? weightsRoot : file;
    const rootPath = root === file ? '' : 'model_weights/';
    const producer: ModelProducer = {};
    const kerasVersion = stringAttr(file, 'keras_version') ?? stringAttr(root, 'keras_version');
    const backend = stringAttr(file, 'backend') ?? stringAttr(root, 'backend');
    if (kerasVersion) producer.kerasVersion = kerasVersion;
    if (backend) producer.backend = backend;
    const model = await modelFromTopology(topology, path);
    try {
      for (const layer of model.layers) {
        if (layer.weights.length === 0) continue;
        const groupPath = `${rootPath}${layer.name}`;
        const group = root.get(layer.name);
        if (!isGroup(group)) throw problem(path, `layer "${layer.name}" has weights but ${groupPath} is missing`);
        assignLayerWeights(layer, layerArrays(group, groupPath, path), path);
      }
    } catch (err) {
      model.dispose();
      throw err;
    }
    const loss = trainingLossOf(parseTrainingConfig(stringAttr(file, 'training_config')));
    return { model, producer, ...(loss ? { loss } : {}) };
  } finally {
    file.close();
  }
}

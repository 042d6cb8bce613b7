/**
 * deepend's model formats layer: it reads the models users bring (TF.js layers-model directories as
 * tensorflowjs_converter 1.x-4.x and LayersModel.save() write them, Keras .h5 files, Keras 3 .keras archives)
 * with no Python, normalising Keras 2 and 3 configurations to what tfjs-layers 4.22 loads, and writes models
 * back in those standard layouts. It owns the conversions only: where files go, meta.json and growth are others'.
 */
import type { tfl } from '../../tf';
import type { ModelArtifactsInMemory } from './types';
import { loadArtifacts as loadInMemory } from './tfjs-model';

export type { ImportedArtifacts, ModelArtifactsInMemory, ModelFormat, ModelProducer } from './types';
export { readModelArtifacts, detectFormat } from './read';
export { BINARY_FROM_LOGITS, isBinaryFromLogits, isBinaryLoss, type TrainingLoss } from './training-loss';
export { artifactsOf } from './tfjs-model';
export { layersModelFiles, DEFAULT_SHARD_BYTES } from './layers-model-write';
export { kerasFileBytes } from './keras-v3-write';
export { normaliseTopology } from './keras-config';

/** tfl.loadLayersModel(tf.io.fromMemory(...)) on the artifacts; a failure is one line. */
export async function loadArtifacts(a: ModelArtifactsInMemory): Promise<tfl.LayersModel> {
  return loadInMemory(a);
}

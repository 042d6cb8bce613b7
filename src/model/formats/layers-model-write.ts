import { tfl } from '../../tf';
import type { ModelArtifactsInMemory } from './types';
import { storedBytes } from './dequantize';
import { DAEMON_VERSION } from '../../util/version';
import { kerasLossConfig, type TrainingLoss } from './training-loss';

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * The files tensorflowjs_converter writes: model.json (format 'layers-model', one weights group) and the weight
 * bytes cut into `group1-shard<i>of<N>.bin` of at most `shardBytes` (a weight may span two shards, as there).
 * With a `loss`, the topology is the converter's {model_config, training_config} as it writes it for a compiled
 * Keras model: a reader learns the loss there (a one-unit logit is a classifier only by its loss), and TF.js,
 * which builds the model from model_config alone, loads it as before.
 */
export function layersModelFiles(
  a: ModelArtifactsInMemory,
  options: { shardBytes?: number; convertedBy?: string; loss?: TrainingLoss } = {},
): Record<string, Uint8Array> {
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isInteger(shardBytes) || shardBytes < 1)
    throw new Error(`layersModelFiles: shardBytes must be a positive integer, not ${shardBytes}`);
  const data = new Uint8Array(a.weightData);
  const needed = a.weightSpecs.reduce((sum, spec) => sum + storedBytes(spec, 'layersModelFiles'), 0);
  if (needed !== data.byteLength)
    throw new Error(`layersModelFiles: the weight specs need ${needed} bytes but weightData has ${data.byteLength}`);
  const count = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const files: Record<string, Uint8Array> = {};
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `group1-shard${i + 1}of${count}.bin`;
    paths.push(name);
    files[name] = data.slice(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes));
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: options.convertedBy ?? `deepend ${DAEMON_VERSION}`,
    modelTopology: options.loss ? withTrainingConfig(a.modelTopology, options.loss) : a.modelTopology,
    weightsManifest: [{ paths, weights: a.weightSpecs }],
  };
  files['model.json'] = new TextEncoder().encode(JSON.stringify(modelJson));
  return files;
}

/** The converter's wrapped topology: keras_version and backend beside model_config and training_config. */
function withTrainingConfig(topology: Record<string, unknown>, loss: TrainingLoss): Record<string, unknown> {
  const { keras_version, backend } = topology;
  return {
    ...(keras_version !== undefined ? { keras_version } : {}),
    ...(backend !== undefined ? { backend } : {}),
    model_config: topology,
    training_config: { loss: kerasLossConfig(loss) },
  };
}

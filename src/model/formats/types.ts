import type { tf, tfl } from '../../tf';
import type { TrainingLoss } from './training-loss';

export type ModelFormat = 'tfjs-layers' | 'keras-h5' | 'keras-v3';

export interface ModelProducer {
  generatedBy?: string;
  convertedBy?: string;
  kerasVersion?: string;
  backend?: string;
}

export interface ModelArtifactsInMemory {
  /** A topology tfjs-layers 4.22 loads as it is: { class_name, config, keras_version?, backend? } (normalised). */
  modelTopology: Record<string, unknown>;
  /** float32 (or int32) specs, already dequantized, names as tfjs-layers expects them. */
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer;
}

export interface ImportedArtifacts extends ModelArtifactsInMemory {
  format: ModelFormat;
  /** The path the user named (file or directory). */
  source: string;
  producer: ModelProducer;
  /** Labels found beside the model: labels.txt (one per line) or metadata.json {labels:[...]} in the model's directory (for a file: its directory). */
  labels?: string[];
  /** The loss the file says the model was trained with, when it says one. */
  loss?: TrainingLoss;
}

/** One weight as a file holds it, decoded to float32 or int32 values. */
export interface DecodedWeight {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  values: Float32Array | Int32Array;
}

/** What a reader hands back: the model built in tfjs-layers with the file's weights set, and who made the file. */
export interface ReadModel {
  model: tfl.LayersModel;
  producer: ModelProducer;
  loss?: TrainingLoss;
}

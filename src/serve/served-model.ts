import { tf, tfl } from '../tf';
import { loadModel } from '../model/io';
import { boundExecutorCache } from './executor-cache';
import type { ModelMeta, Normalisation } from '../model/meta';
import { isOneUnitBinary } from '../model/arch';
import { servingNormalisation } from '../model/input-contract';

/** One loaded version of a model, as the serving side holds it. */
export interface ServedModel {
  version: number;
  model: tfl.LayersModel;
  meta: ModelMeta;
  dir: string;
}

/** Loads a saved model directory as version `version` (load errors name the file). */
export async function loadServedModel(dir: string, version: number): Promise<ServedModel> {
  if (!Number.isInteger(version) || version < 1)
    throw new Error(`model version must be a whole number from 1, got ${version}`);
  boundExecutorCache();
  const { model, meta } = await loadModel(dir);
  return { version, model, meta, dir };
}

/** Values in one instance: the product of meta.inputShape. */
export function inputSize(served: ServedModel): number {
  return served.meta.inputShape.reduce((a, b) => a * b, 1);
}

/** Values the model answers per instance: one per label, or one for a two-class sigmoid. */
export function outputWidth(served: Pick<ServedModel, 'model' | 'meta'>): number {
  const units = served.model.outputs[0].shape[served.model.outputs[0].shape.length - 1];
  return isOneUnitBinary(served.meta.arch.output, units ?? 0) ? 1 : served.meta.labels.length;
}

/** The (x - mean) / std serving applies to raw request values: the imported model's input contract, else meta.normalisation. */
export function servingNormalisationOf(meta: ModelMeta): Normalisation {
  return meta.inputContract ? servingNormalisation(meta.inputContract) : meta.normalisation;
}

/** Runs a normalised batch through the model; the caller owns the returned tensor. */
export function forward(served: ServedModel, x: tf.Tensor): tf.Tensor {
  return served.model.predict(x, { batchSize: PREDICT_CHUNK }) as tf.Tensor;
}

/** Largest batch one forward pass takes at once: bounds activation memory for big requests. */
export const PREDICT_CHUNK = 256;

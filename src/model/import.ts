import { tfl } from '../tf';
import { analyseKeras, KerasAnalysis } from './keras/analyse';
import type { TrainingLoss } from './formats';
import { INPUT_SCALING_CLASSES, isInferenceIdentity } from './keras/classes';
import { ContractOptions, dataNormalisation, resolveContract } from './input-contract';
import { META_FORMAT, ModelMeta, ModelOrigin } from './meta';

export interface ImportOptions {
  /** Everything up to and including this layer is the frozen part. */
  freezeThrough?: string;
  /** The model's class names in output order (--labels). */
  labels?: string[];
  contract?: ContractOptions;
  /** The local data's kind and class names, when known: the default input contract and labels come from them. */
  dataKind?: 'image' | 'tabular';
  dataClasses?: string[];
  name?: string;
}

/** A user's model as read from its files (src/model/formats), before deepend knows how to grow it. */
export interface ImportSource {
  model: tfl.LayersModel;
  origin: Omit<ModelOrigin, 'depthAtImport' | 'importedAt'>;
  /** labels.txt or metadata.json found beside the model. */
  labels?: string[];
  /** The loss the file says the model was trained with (it tells a two-class logit from a regression). */
  loss?: TrainingLoss;
  weightsSha256: string;
  backend: string;
}

export interface Imported {
  meta: ModelMeta;
  analysis: KerasAnalysis;
}

function perSampleInputShape(model: tfl.LayersModel, source: string): number[] {
  const shape = model.inputs[0].shape.slice(1);
  if (shape.some((d) => d === null))
    throw new Error(
      `${source}: the model's input [${shape.join(', ')}] has an unknown dimension; deepend needs a fixed input size`,
    );
  return shape as number[];
}

/**
 * The largest scale that says a model takes raw pixels: 1/255 or 1/127.5 maps 0..255 into a unit range. A scale
 * like x * 2 - 1 or x - 0.5 expects values already in 0..1.
 */
const RAW_PIXEL_SCALE_MAX = 1 / 100;

function scalesRawPixels(layer: tfl.layers.Layer): boolean {
  const scale = layer.getConfig().scale;
  const scales = (Array.isArray(scale) ? scale : [scale]).map(Number);
  return scales.length > 0 && scales.every((v) => v !== 0 && Math.abs(v) <= RAW_PIXEL_SCALE_MAX);
}

/**
 * The first layer after the input, when it scales raw pixels itself (a Rescaling by 1/255 or so; a Normalization
 * is folded into a Dense on reading). Layers that pass images through at inference (augmentation, dropout) before
 * it do not count.
 */
export function leadingScalingLayer(model: tfl.LayersModel): string | undefined {
  const first = model.layers.find((l) => !isInferenceIdentity(l));
  return first && INPUT_SCALING_CLASSES.has(first.getClassName()) && scalesRawPixels(first)
    ? `${first.getClassName()} layer '${first.name}'`
    : undefined;
}

/** Without data to say otherwise: a model taking [H, W] or [H, W, C] takes images, one taking [F] features. */
export function defaultDataKind(inputShape: readonly (number | null)[]): 'image' | 'tabular' {
  return inputShape.length >= 2 ? 'image' : 'tabular';
}

function resolveLabels(source: ImportSource, options: ImportOptions, classes: number): string[] {
  const [labels, from] = labelsAndWhence(source, options);
  if (!labels)
    throw new Error(
      `${source.origin.source}: no labels for the model's ${classes} classes: pass --labels, or put labels.txt beside the model`,
    );
  if (labels.length !== classes) {
    throw new Error(
      `${source.origin.source}: ${from} names ${labels.length} class${labels.length === 1 ? '' : 'es'} but the model outputs ${classes}`,
    );
  }
  return labels;
}

/**
 * deepend's meta.json for a user's model: what it grows (the chain after the
 * frozen part, its sites and depth), the input contract, the labels and where
 * the model came from. Nothing of the user's files is changed.
 */
export function importedMeta(source: ImportSource, options: ImportOptions): Imported {
  const where = source.origin.source ?? 'the model';
  const analysis = analyseKeras(source.model, {
    freezeThrough: options.freezeThrough,
    source: where,
    loss: source.loss,
  });
  const inputShape = perSampleInputShape(source.model, where);
  const dataKind = options.dataKind ?? defaultDataKind(inputShape);
  const contract = resolveContract(
    options.contract ?? {},
    dataKind === 'image' ? 'pixels' : 'features',
    leadingScalingLayer(source.model),
  );
  // one value, or one per image channel or per feature (the input's last axis): the data's value i takes i % groups
  const image = dataKind === 'image';
  let groups = inputShape[inputShape.length - 1];
  if (image) groups = inputShape.length === 3 ? inputShape[2] : 1;
  if (contract.mean.length !== 1 && contract.mean.length !== groups) {
    throw new Error(
      `--input-mean/--input-std give ${contract.mean.length} values; the model's input has ${groups} ${image ? 'channel(s)' : 'feature(s)'}`,
    );
  }
  const labels = resolveLabels(source, options, analysis.spec.classes);
  const depth = analysis.spec.blocks.length;
  const now = new Date().toISOString();
  const meta: ModelMeta = {
    format: META_FORMAT,
    name: options.name ?? source.model.name,
    family: 'keras',
    depth,
    arch: analysis.spec,
    inputShape,
    labels,
    normalisation: dataNormalisation(contract),
    parent: null,
    growth: [],
    metrics: {},
    parameters: source.model.countParams(),
    weightsSha256: source.weightsSha256,
    createdAt: now,
    backend: source.backend,
    origin: { ...source.origin, sourceSha256: source.weightsSha256, importedAt: now, depthAtImport: depth },
    inputContract: contract,
    frozenThrough: analysis.frozenThrough,
  };
  return { meta, analysis };
}

/** The class labels and where they came from: --labels, else the labels file beside the model, else the data's classes. */
function labelsAndWhence(source: ImportSource, options: ImportOptions): [string[] | undefined, string] {
  if (options.labels) return [options.labels, '--labels'];
  if (source.labels) return [source.labels, 'the labels file beside the model'];
  if (options.dataClasses) return [options.dataClasses, 'the data'];
  return [undefined, ''];
}

import { ArchSpec, Family } from './arch';
import type { Normalisation } from '../data/types';
import type { InputContract } from './input-contract';

export type { Normalisation };

export const META_FORMAT = 'deepend-model/1';

/** One growth step in a model's history. */
export interface GrowthRecord {
  method: string;
  depthBefore: number;
  depthAfter: number;
  insertedBlocks: string[];
  accuracyBefore: number;
  accuracyAfter: number;
  seconds: number;
  at: string;
}

export interface ModelMetrics {
  /** Held-out accuracy (fraction 0..1) on the split named by splitFingerprint. */
  accuracy?: number;
  loss?: number;
  splitFingerprint?: string;
  data?: string;
}

/** Where a model came from: deepend's own (trained or shipped) or a user's export that deepend imported. */
export interface ModelOrigin {
  format: 'deepend' | 'tfjs-layers' | 'keras-h5' | 'keras-v3';
  /** The path the model was imported from. */
  source?: string;
  /** sha256 of the source's (dequantized) weights: tells whether the file at `source` is still the model imported. */
  sourceSha256?: string;
  producer?: { generatedBy?: string; convertedBy?: string; kerasVersion?: string; backend?: string };
  importedAt?: string;
  /** Depth when imported: policies count "N blocks more" from it, so repeated upgrades do not grow forever. */
  depthAtImport: number;
}

/** meta.json: what deepend knows about a model beyond the TF.js files. */
export interface ModelMeta {
  format: typeof META_FORMAT;
  name: string;
  family: Family;
  depth: number;
  arch: ArchSpec;
  inputShape: number[];
  labels: string[];
  normalisation: Normalisation;
  parent: { weightsSha256: string; depth: number } | null;
  growth: GrowthRecord[];
  metrics: ModelMetrics;
  parameters: number;
  /** sha256 (hex) of the weight files model.json names, concatenated in manifest order: checked on every load. */
  weightsSha256: string;
  createdAt: string;
  backend: string;
  /** Absent for models deepend trained before imports existed: read as origin 'deepend'. */
  origin?: ModelOrigin;
  /** Imported models: how raw data becomes input (normalisation above is derived from it). */
  inputContract?: InputContract;
  /** Imported models with a frozen part: the last frozen layer; growth trains only the chain after it (arch). */
  frozenThrough?: string;
}

/** "Keras 2.2.4, tensorflowjs 1.0.1" or null: one line for status and the birth message. */
export function describeProducer(producer: ModelOrigin['producer']): string | null {
  if (!producer) return null;
  const keras =
    producer.kerasVersion &&
    (/^\d/.test(producer.kerasVersion) ? `Keras ${producer.kerasVersion}` : producer.kerasVersion);
  const parts = [keras, producer.convertedBy, producer.generatedBy].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(', ').slice(0, 200) : null;
}

/** The model's origin, 'deepend' for metas written before origins were recorded. */
export function originOf(meta: ModelMeta): ModelOrigin {
  return meta.origin ?? { format: 'deepend', depthAtImport: meta.growth[0]?.depthBefore ?? meta.depth };
}

function fail(path: string, what: string): never {
  throw new Error(`${path}: ${what}`);
}

/** Checks a parsed meta.json; throws one line naming the first problem. */
export function validateMeta(value: unknown, path: string): ModelMeta {
  if (typeof value !== 'object' || value === null) fail(path, 'is not a JSON object');
  const m = value as Record<string, unknown>;
  if (m.format !== META_FORMAT) fail(path, `format is ${JSON.stringify(m.format)}, expected "${META_FORMAT}"`);
  if (!['mlp', 'conv', 'resnet', 'keras'].includes(m.family as string))
    fail(path, `unknown model family ${JSON.stringify(m.family)}`);
  if (!Number.isInteger(m.depth)) fail(path, 'depth is missing or not a whole number');
  const arch = m.arch as ArchSpec | undefined;
  if (!arch || !Array.isArray(arch.blocks)) fail(path, 'arch.blocks is missing');
  if (arch.blocks.length !== m.depth)
    fail(path, `depth ${m.depth} disagrees with the ${arch.blocks.length} blocks of arch`);
  if (!Array.isArray(m.inputShape) || !m.inputShape.every((d) => Number.isInteger(d) && d > 0))
    fail(path, 'inputShape is not a list of positive whole numbers');
  if (!Array.isArray(m.labels) || m.labels.length !== arch.classes)
    fail(path, `labels must list the model's ${arch.classes} classes`);
  const norm = m.normalisation as Normalisation | undefined;
  if (!norm || !Array.isArray(norm.mean) || !Array.isArray(norm.std) || norm.mean.length !== norm.std.length)
    fail(path, 'normalisation must have mean and std lists of one length');
  if (typeof m.weightsSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.weightsSha256))
    fail(path, 'weightsSha256 is missing or not a sha256 hex digest');
  return value as ModelMeta;
}

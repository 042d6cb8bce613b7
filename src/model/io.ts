import { firstLine } from '../util/deepend-error';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import { tf, tfl } from '../tf';
import { ModelMeta, validateMeta } from './meta';
import { writeDirAtomically } from '../util/atomic-dir';
import './scaled-add';
import { artifactsOf, BINARY_FROM_LOGITS, layersModelFiles, type TrainingLoss } from './formats';
import { type ArchSpec, isOneUnitBinary } from './arch';

export const MODEL_JSON = 'model.json';
export const META_JSON = 'meta.json';

export interface LoadedModel {
  model: tfl.LayersModel;
  meta: ModelMeta;
  dir: string;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The training loss a saved file must name for a reader without meta.json to take the model as deepend does: a
 * one-unit logit reads as a regression unless its file names binary cross-entropy from logits.
 */
export function lossToRecord(model: tfl.LayersModel, arch: Pick<ArchSpec, 'output'>): TrainingLoss | undefined {
  const units = model.outputs[0].shape.at(-1) ?? 0;
  return arch.output === 'logits' && isOneUnitBinary('logits', units) ? BINARY_FROM_LOGITS : undefined;
}

export type MetaWithoutDigest = Omit<ModelMeta, 'weightsSha256' | 'parameters'>;

/**
 * Saves the model in the TF.js converter's layout (model.json + group1-shard1ofN.bin, what plain
 * tf.loadLayersModel reads; model.json names the training loss where the output needs it) with meta.json (+ extra files such as report.json) into `dir`, all or nothing: the
 * directory appears only once every file is written. Returns the final meta.
 */
export async function saveModel(
  model: tfl.LayersModel,
  meta: MetaWithoutDigest,
  dir: string,
  extraFiles: Record<string, string | Uint8Array> = {},
): Promise<ModelMeta> {
  const artifacts = await artifactsOf(model);
  const full: ModelMeta = {
    ...meta,
    parameters: model.countParams(),
    weightsSha256: sha256Hex(new Uint8Array(artifacts.weightData)),
  };
  const files = layersModelFiles(artifacts, { loss: lossToRecord(model, meta.arch) });
  await writeDirAtomically(dir, async (tmp) => {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(tmp, name), content);
    writeFileSync(join(tmp, META_JSON), JSON.stringify(full, null, 2) + '\n');
    for (const [name, content] of Object.entries(extraFiles)) writeFileSync(join(tmp, name), content);
  });
  return full;
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new Error(`${path}: ${what} is missing`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${what} is not valid JSON (${firstLine(err)})`);
  }
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function expectedWeightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  const bytesPer: Record<string, number> = { float32: 4, int32: 4, bool: 1 };
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * (bytesPer[s.dtype] ?? 4), 0);
}

/** The weight files model.json names (weights.bin, or the converter's group1-shard1ofN.bin ...), in manifest order. */
export function weightFilesOf(manifest: { paths: string[] }[], dir: string): string[] {
  return manifest.flatMap((g) =>
    g.paths.map((p) => {
      if (isAbsolute(p) || normalize(p).startsWith('..'))
        throw new Error(`${join(dir, MODEL_JSON)}: weight path '${p}' leaves the model's directory`);
      return join(dir, p);
    }),
  );
}

/** Loads and verifies a deepend model directory; every problem is one line naming the file. */
export async function loadModel(dir: string): Promise<LoadedModel> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: model directory not found`);
  const modelJsonPath = join(dir, MODEL_JSON);
  const parsed = readJson(modelJsonPath, MODEL_JSON) as Partial<ModelJson>;
  if (!parsed.modelTopology || !Array.isArray(parsed.weightsManifest)) {
    throw new Error(`${modelJsonPath}: not a TF.js layers model (modelTopology or weightsManifest missing)`);
  }
  const meta = validateMeta(readJson(join(dir, META_JSON), META_JSON), join(dir, META_JSON));
  const files = weightFilesOf(parsed.weightsManifest, dir);
  for (const file of files) if (!existsSync(file)) throw new Error(`${file}: weights file is missing`);
  const weights = Buffer.concat(files.map((f) => readFileSync(f)));
  const specs = parsed.weightsManifest.flatMap((g) => g.weights);
  const expected = expectedWeightBytes(specs);
  if (weights.byteLength !== expected) {
    throw new Error(
      `${files.length === 1 ? files[0] : `${dir}: the weight files`}: ${files.length === 1 ? 'has' : 'hold'} ${weights.byteLength} bytes but model.json describes ${expected}`,
    );
  }
  const digest = sha256Hex(weights);
  if (digest !== meta.weightsSha256) {
    throw new Error(
      `${files.length === 1 ? files[0] : `${dir}: the weight files`}: sha256 ${digest.slice(0, 12)}… does not match meta.json's ${meta.weightsSha256.slice(0, 12)}…`,
    );
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: parsed.modelTopology, weightSpecs: specs, weightData }),
    );
  } catch (err) {
    throw new Error(`${modelJsonPath}: TF.js could not build the model (${firstLine(err)})`);
  }
  return { model, meta, dir };
}

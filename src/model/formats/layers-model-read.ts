import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { tf } from '../../tf';
import type { DecodedWeight, ModelProducer, ReadModel } from './types';
import { decodeWeights, storedBytes } from './dequantize';
import { normaliseTopology } from './keras-config';
import { modelFromTopology } from './tfjs-model';
import { assignWeightsByName } from './weights-by-name';
import { messageOf, problem } from './problem';
import { trainingLossOf } from './training-loss';

/** What a TF.js layers-model directory holds, decoded but not yet checked against the model it describes. */
export interface LayersModelFiles {
  modelJsonPath: string;
  topology: Record<string, unknown>;
  weights: DecodedWeight[];
  producer: ModelProducer;
  /** model.json's trainingConfig, as LayersModel.save() writes it for a compiled model. */
  trainingConfig?: unknown;
}

interface ManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseModelJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw problem(path, `cannot read it (${messageOf(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw problem(path, `not valid JSON (${messageOf(err)})`);
  }
  if (!isRecord(parsed)) throw problem(path, 'not a TF.js model.json (the JSON is not an object)');
  return parsed;
}

function checkFormat(json: Record<string, unknown>, path: string): void {
  const topology = json.modelTopology;
  const looksLikeGraph = isRecord(topology) && Array.isArray(topology.node);
  if (json.format === 'graph-model' || looksLikeGraph) {
    throw problem(
      path,
      'this is a TF.js graph model (a frozen graph, it cannot be grown); export the Keras model instead (a .keras or .h5 file, or tensorflowjs_converter --input_format keras)',
    );
  }
  // Converters before 1.3 wrote no `format`.
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw problem(path, `unknown format "${String(json.format)}" (expected "layers-model")`);
  }
  if (!isRecord(topology)) throw problem(path, 'not a TF.js layers model (modelTopology is missing)');
}

function manifestGroups(json: Record<string, unknown>, path: string): ManifestGroup[] {
  const manifest = json.weightsManifest;
  if (!Array.isArray(manifest)) throw problem(path, 'not a TF.js layers model (weightsManifest is missing)');
  return manifest.map((g, i) => {
    if (
      !isRecord(g) ||
      !Array.isArray(g.paths) ||
      !Array.isArray(g.weights) ||
      !g.paths.every((p) => typeof p === 'string')
    ) {
      throw problem(path, `weightsManifest group ${i + 1} needs "paths" (file names) and "weights" (specs)`);
    }
    for (const w of g.weights) {
      if (
        !isRecord(w) ||
        typeof w.name !== 'string' ||
        !Array.isArray(w.shape) ||
        !w.shape.every((d) => Number.isInteger(d) && d >= 0)
      ) {
        throw problem(path, `weightsManifest group ${i + 1} has a weight without a name or a valid shape`);
      }
    }
    return { paths: g.paths as string[], weights: g.weights as tf.io.WeightsManifestEntry[] };
  });
}

/** Reads every group's shards in manifest order; checks each group holds exactly the bytes its specs need. */
function readShards(groups: ManifestGroup[], dir: string, modelJsonPath: string): Uint8Array {
  const parts: Buffer[] = [];
  groups.forEach((group, g) => {
    const needed = group.weights.reduce((sum, spec) => sum + storedBytes(spec, modelJsonPath), 0);
    let held = 0;
    let last = modelJsonPath;
    for (const name of group.paths) {
      const shard = join(dir, name);
      last = shard;
      if (!existsSync(shard) || !statSync(shard).isFile()) {
        throw problem(shard, `weight shard named in ${modelJsonPath} is missing`);
      }
      const bytes = readFileSync(shard);
      held += bytes.byteLength;
      parts.push(bytes);
    }
    if (held < needed) {
      throw problem(
        last,
        `truncated: weights group ${g + 1} of ${modelJsonPath} needs ${needed} bytes, its ${group.paths.length} shard file(s) hold ${held}`,
      );
    }
    if (held > needed) {
      throw problem(
        last,
        `weights group ${g + 1} of ${modelJsonPath} needs ${needed} bytes but its ${group.paths.length} shard file(s) hold ${held} (shards from another model?)`,
      );
    }
  });
  return Buffer.concat(parts);
}

function producerOf(json: Record<string, unknown>, topology: Record<string, unknown>): ModelProducer {
  const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const producer: ModelProducer = {
    generatedBy: str(json.generatedBy),
    convertedBy: str(json.convertedBy),
    kerasVersion: str(topology.keras_version),
    backend: str(topology.backend),
  };
  return Object.fromEntries(Object.entries(producer).filter(([, v]) => v !== undefined)) as ModelProducer;
}

/** Where the model.json of `path` (a directory or the model.json itself) is. */
export function modelJsonOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, 'model.json') : path;
}

/** Reads a directory as tensorflowjs_converter (1.x-4.x) or LayersModel.save() writes it. Reads only. */
export function readLayersModelFiles(path: string): LayersModelFiles {
  const modelJsonPath = modelJsonOf(path);
  if (!existsSync(modelJsonPath)) throw problem(modelJsonPath, 'model.json is missing');
  const json = parseModelJson(modelJsonPath);
  checkFormat(json, modelJsonPath);
  const topology = json.modelTopology as Record<string, unknown>;
  const groups = manifestGroups(json, modelJsonPath);
  const data = readShards(groups, dirname(resolve(modelJsonPath)), modelJsonPath);
  const weights = decodeWeights(
    groups.flatMap((g) => g.weights),
    data,
    modelJsonPath,
  );
  return {
    modelJsonPath,
    topology,
    weights,
    producer: producerOf(json, topology),
    trainingConfig: json.trainingConfig,
  };
}

/** Reads the directory, builds the model its (normalised) topology describes and sets its weights by name. */
export async function readLayersModel(path: string): Promise<ReadModel> {
  const files = readLayersModelFiles(path);
  const model = await modelFromTopology(normaliseTopology(files.topology, files.modelJsonPath), files.modelJsonPath);
  try {
    assignWeightsByName(model, files.weights, files.modelJsonPath);
  } catch (err) {
    model.dispose();
    throw err;
  }
  // tensorflowjs_converter keeps Keras's training_config in the topology; LayersModel.save() writes trainingConfig
  const loss = trainingLossOf(files.topology.training_config ?? files.trainingConfig);
  return { model, producer: files.producer, ...(loss ? { loss } : {}) };
}

import { firstLine } from '../util/deepend-error';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize } from 'node:path';
import type { ArchSpec } from '../model/arch';
import { ModelMeta, ModelOrigin, originOf, validateMeta } from '../model/meta';
import { StoreError } from './errors';

// The names src/model/io.ts writes; not imported from there because io.ts loads TF.js, which the store must not need.
const MODEL_JSON = 'model.json';
const META_JSON = 'meta.json';

/** The weight files model.json's manifest names (weights.bin, or the converter's shards), in order. */
function weightFilesIn(dir: string): string[] {
  const path = join(dir, MODEL_JSON);
  let manifest: unknown;
  try {
    manifest = (JSON.parse(readFileSync(path, 'utf8')) as { weightsManifest?: unknown }).weightsManifest;
  } catch (err) {
    throw new StoreError(path, `is not valid JSON (${firstLine(err)})`);
  }
  if (!Array.isArray(manifest) || !manifest.every((g) => Array.isArray((g as { paths?: unknown }).paths))) {
    throw new StoreError(path, 'has no weightsManifest with weight file paths');
  }
  const paths = (manifest as { paths: string[] }[]).flatMap((g) => g.paths);
  const outside = paths.find((p) => isAbsolute(p) || normalize(p).startsWith('..'));
  if (outside !== undefined) throw new StoreError(path, `weight path '${outside}' leaves the model's directory`);
  return paths.map((p) => join(dir, p));
}

/**
 * Checks a model directory without TF.js: the three files exist, meta.json is
 * valid and the weight files model.json names hash to its weightsSha256. The full load (topology,
 * weight sizes) happens when the version is served.
 */
export function verifyModelDir(dir: string): ModelMeta {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new StoreError(dir, 'model directory not found');
  for (const file of [MODEL_JSON, META_JSON]) {
    if (!existsSync(join(dir, file))) throw new StoreError(join(dir, file), 'is missing');
  }
  const weightFiles = weightFilesIn(dir);
  for (const file of weightFiles) if (!existsSync(file)) throw new StoreError(file, 'is missing');
  const metaPath = join(dir, META_JSON);
  let meta: ModelMeta;
  try {
    meta = validateMeta(JSON.parse(readFileSync(metaPath, 'utf8')), metaPath);
  } catch (err) {
    const message = firstLine(err);
    throw new StoreError(
      metaPath,
      message.startsWith(metaPath) ? message.slice(metaPath.length + 2) : `is not valid JSON (${message})`,
    );
  }
  const hash = createHash('sha256');
  for (const file of weightFiles) hash.update(readFileSync(file));
  const digest = hash.digest('hex');
  if (digest !== meta.weightsSha256) {
    throw new StoreError(
      weightFiles.length === 1 ? weightFiles[0] : join(dir, MODEL_JSON),
      `${weightFiles.length === 1 ? '' : 'the weight files it names: '}sha256 ${digest.slice(0, 12)}… does not match meta.json's ${meta.weightsSha256.slice(0, 12)}…`,
    );
  }
  return meta;
}

/** The depth a model's lineage started with (imported or shipped), from its meta.json: policies' blocksMore counts from it. */
export function baseDepthOf(dir: string): number {
  return lineageOf(dir).depthAtImport;
}

/** What planning reads of a model directory's meta.json, in one read: the depth its lineage started at and its growable chain. */
export function planningFactsOf(dir: string): { baseDepth: number; arch: ArchSpec } {
  const meta = verifiedMetaJson(dir);
  return { baseDepth: originOf(meta).depthAtImport, arch: meta.arch };
}

/** Where a model directory's lineage came from (its meta.json's origin). */
export function lineageOf(dir: string): ModelOrigin {
  return originOf(verifiedMetaJson(dir));
}

function verifiedMetaJson(dir: string): ModelMeta {
  const metaPath = join(dir, META_JSON);
  return validateMeta(JSON.parse(readFileSync(metaPath, 'utf8')), metaPath);
}

/** The growth method that produced a model (its last growth step), or null for a trained/shipped one. */
export function methodOf(meta: ModelMeta): string | null {
  return meta.growth.length > 0 ? meta.growth[meta.growth.length - 1].method : null;
}

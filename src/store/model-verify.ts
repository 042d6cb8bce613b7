import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelMeta, validateMeta } from '../model/meta';
import { StoreError } from './errors';

// The names src/model/io.ts writes; not imported from there because io.ts loads TF.js, which the store must not need.
const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';
const META_JSON = 'meta.json';

/**
 * Checks a model directory without TF.js: the three files exist, meta.json is
 * valid and weights.bin hashes to its weightsSha256. The full load (topology,
 * weight sizes) happens when the version is served.
 */
export function verifyModelDir(dir: string): ModelMeta {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new StoreError(dir, 'model directory not found');
  for (const file of [MODEL_JSON, WEIGHTS_BIN, META_JSON]) {
    if (!existsSync(join(dir, file))) throw new StoreError(join(dir, file), 'is missing');
  }
  const metaPath = join(dir, META_JSON);
  let meta: ModelMeta;
  try {
    meta = validateMeta(JSON.parse(readFileSync(metaPath, 'utf8')), metaPath);
  } catch (err) {
    const message = (err as Error).message.split('\n')[0];
    throw new StoreError(metaPath, message.startsWith(metaPath) ? message.slice(metaPath.length + 2) : `is not valid JSON (${message})`);
  }
  const digest = createHash('sha256').update(readFileSync(join(dir, WEIGHTS_BIN))).digest('hex');
  if (digest !== meta.weightsSha256) {
    throw new StoreError(join(dir, WEIGHTS_BIN), `sha256 ${digest.slice(0, 12)}… does not match meta.json's ${meta.weightsSha256.slice(0, 12)}…`);
  }
  return meta;
}

/** The growth method that produced a model (its last growth step), or null for a trained/shipped one. */
export function methodOf(meta: ModelMeta): string | null {
  return meta.growth.length > 0 ? meta.growth[meta.growth.length - 1].method : null;
}

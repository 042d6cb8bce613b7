import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import type { ImportedArtifacts, ModelFormat, ReadModel } from './types';
import { readKerasH5 } from './keras-h5-read';
import { readKerasV3 } from './keras-v3-read';
import { readLayersModel } from './layers-model-read';
import { artifactsOf } from './tfjs-model';
import { foldNormalization } from './normalization-fold';
import { readLabels } from './labels';
import { looksLikeHdf5 } from './h5';
import { problem } from './problem';

function firstBytes(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Which reader a path needs: by content first, by extension when the content is unrecognisable. */
export function detectFormat(path: string): ModelFormat {
  if (!existsSync(path)) throw problem(path, 'not found');
  if (statSync(path).isDirectory()) {
    if (existsSync(join(path, 'model.json'))) return 'tfjs-layers';
    if (existsSync(join(path, 'saved_model.pb'))) {
      throw problem(
        path,
        'this is a TensorFlow SavedModel, which deepend does not read: save the Keras model as .keras or .h5 instead',
      );
    }
    throw problem(
      path,
      'no model.json in this directory (name a TF.js layers-model directory, a .h5 file or a .keras file)',
    );
  }
  const head = firstBytes(path, 4);
  if (head.length === 4 && head.readUInt32BE(0) === 0x504b0304) return 'keras-v3';
  if (looksLikeHdf5(path)) return 'keras-h5';
  const ext = extname(path).toLowerCase();
  if (ext === '.keras') return 'keras-v3';
  if (ext === '.h5' || ext === '.hdf5') return 'keras-h5';
  if (ext === '.json' || head.toString('utf8').trimStart().startsWith('{')) return 'tfjs-layers';
  throw problem(
    path,
    'not a model deepend reads (expected a TF.js layers-model directory or model.json, a Keras .h5 file or a .keras file)',
  );
}

const READERS: Record<ModelFormat, (path: string) => Promise<ReadModel>> = {
  'tfjs-layers': readLayersModel,
  'keras-h5': readKerasH5,
  'keras-v3': readKerasV3,
};

/**
 * Reads the model at `path` (format detected), builds it in tfjs-layers and takes its artifacts back: the
 * topology is the one tfjs-layers writes and the weights are float32 named as tfjs-layers names them.
 * Never writes next to the user's files.
 */
export async function readModelArtifacts(path: string): Promise<ImportedArtifacts> {
  try {
    const format = detectFormat(path);
    const { model, producer, loss } = await READERS[format](path);
    try {
      const artifacts = foldNormalization(model, await artifactsOf(model), path);
      const dir = statSync(path).isDirectory() ? path : dirname(path);
      const labels = readLabels(dir);
      return { ...artifacts, format, source: path, producer, ...(labels ? { labels } : {}), ...(loss ? { loss } : {}) };
    } finally {
      model.dispose();
    }
  } catch (err) {
    throw systemError(err) ?? err;
  }
}

/** A file system error (unreadable file, a directory where a file should be, ...) as one line naming the file. */
function systemError(err: unknown): Error | undefined {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof e.code !== 'string' || typeof e.path !== 'string') return undefined;
  return problem(e.path, `cannot ${e.syscall ?? 'read'} it (${e.code})`);
}

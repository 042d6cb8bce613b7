// Users' models for tests: the builders in scripts/lib/user-models.ts, written by an exporter that is not deepend's.
import { mkdirSync } from 'node:fs';
import { tfl } from '../../src/tf';
import { writeConverterDir, weightsOf } from './converter-layout';

export * from '../../scripts/lib/user-models';

/** Writes a model as tensorflowjs_converter does (Keras-2-style topology, shards of `shardBytes`). */
export function exportConverterDir(model: tfl.LayersModel, dir: string, shardBytes = 16 * 1024): string {
  mkdirSync(dir, { recursive: true });
  writeConverterDir(dir, model.toJSON(null, false) as object, weightsOf(model), { shardBytes });
  return dir;
}

// Users' models for tests: the builders in scripts/lib/user-models.ts, written by an exporter that is not deepend's.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tfl } from '../../src/tf';
import { writeConverterDir, weightsOf } from './converter-layout';
import {
  backboneLogits,
  everyLayerCnn,
  fitOnDigits,
  flatMlp,
  loadPlain,
  mnistCnn,
} from '../../scripts/lib/user-models';

export * from '../../scripts/lib/user-models';

/** Writes a model as tensorflowjs_converter does (Keras-2-style topology, shards of `shardBytes`). */
export function exportConverterDir(model: tfl.LayersModel, dir: string, shardBytes = 16 * 1024): string {
  mkdirSync(dir, { recursive: true });
  writeConverterDir(dir, model.toJSON(null, false) as object, weightsOf(model), { shardBytes });
  return dir;
}

/** Where test/fixtures/user-models/make-fixtures.ts stores the trained models (from dist/test/helpers). */
export const USER_MODEL_FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'user-models');

/** How each stored model was built and trained (fitOnDigits's options). */
export const USER_MODEL_TRAINING = {
  digits_cnn: { build: mnistCnn, fit: {} },
  transfer: { build: backboneLogits, fit: { logits: true, epochs: 3 } },
  flat_mlp: { build: flatMlp, fit: {} },
  every_layer: { build: everyLayerCnn, fit: { rawPixels: true, epochs: 3 } },
} satisfies Record<string, { build: () => tfl.LayersModel; fit: Parameters<typeof fitOnDigits>[1] }>;

/**
 * A user's model as its owner trained it: the builder's network with the weights fitOnDigits gave it when the
 * fixture was made, loaded with plain tfjs. The transfer model comes with its backbone trainable, as trained
 * (freezeBackbone it as a fine-tuning user does).
 */
export function trainedUserModel(name: keyof typeof USER_MODEL_TRAINING): Promise<tfl.LayersModel> {
  return loadPlain(join(USER_MODEL_FIXTURES, name));
}

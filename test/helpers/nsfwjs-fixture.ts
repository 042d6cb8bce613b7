import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * nsfwjs 4.2.1 ships a real public export, a Keras 2.2.4 MobileNetV2 (functional, uint8-quantized weights), as
 * two browserify bundles: model.min.js exports {modelTopology, weightsManifest} and group1-shard1of1.min.js
 * exports the shard as a base64 string. The package's `exports` map hides them, so they are required by path.
 */
export function nsfwjsModelDir(): string {
  return join(dirname(require.resolve('nsfwjs')), '..', 'models', 'mobilenet_v2');
}

/** Unwraps the bundles into `dir` in tensorflowjs_converter's layout: model.json + group1-shard1of1.bin. */
export function writeNsfwjsFixture(dir: string): string {
  const source = nsfwjsModelDir();
  const model = require(join(source, 'model.min.js')) as {
    modelTopology: unknown;
    weightsManifest: { paths: string[] }[];
  };
  const shard = require(join(source, 'group1-shard1of1.min.js')) as unknown;
  if (typeof shard !== 'string')
    throw new Error(`${source}: group1-shard1of1.min.js no longer exports a base64 string`);
  mkdirSync(dir, { recursive: true });
  const weightsManifest = model.weightsManifest.map((g) => ({
    ...g,
    paths: g.paths.map((p) => (p.endsWith('.bin') ? p : `${p}.bin`)),
  }));
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ modelTopology: model.modelTopology, weightsManifest }));
  writeFileSync(join(dir, 'group1-shard1of1.bin'), Buffer.from(shard, 'base64'));
  return dir;
}

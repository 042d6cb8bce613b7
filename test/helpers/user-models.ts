// Models as their owners make them: small Keras-style networks trained here with
// tfjs-layers (model.fit, as a Keras user would), then written as the TF.js
// converter writes them. Nothing here is built by deepend's own code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf, tfl } from '../../src/tf';
import { loadDataset } from '../../src/data/load';
import { writeConverterDir, weightsOf } from './converter-layout';

const L = tfl.layers;

/** A Keras-tutorial CNN for the shipped MNIST digits: valid padding, pooling, dropout, softmax. */
export function mnistCnn(): tfl.LayersModel {
  return tfl.sequential({
    name: 'digits_cnn',
    layers: [
      L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv2d' }),
      L.maxPooling2d({ poolSize: 2, name: 'max_pooling2d' }),
      L.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', name: 'conv2d_1' }),
      L.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }),
      L.flatten({ name: 'flatten' }),
      L.dropout({ rate: 0.2, name: 'dropout' }),
      L.dense({ units: 32, activation: 'relu', name: 'dense' }),
      L.dense({ units: 10, activation: 'softmax', name: 'dense_1' }),
    ],
  });
}

/**
 * A transfer-learning export: a feature extractor and a small head that
 * outputs raw scores (logits), on [28, 28] input without a channel axis.
 * Call freezeBackbone after training, as a fine-tuning user does.
 */
export function backboneLogits(): tfl.LayersModel {
  const input = tfl.input({ shape: [28, 28], name: 'image' });
  let x = L.reshape({ targetShape: [28, 28, 1], name: 'add_channel' }).apply(input) as tfl.SymbolicTensor;
  x = L.conv2d({ filters: 8, kernelSize: 5, strides: 2, activation: 'relu', name: 'backbone_conv' }).apply(x) as tfl.SymbolicTensor;
  x = L.flatten({ name: 'backbone_flatten' }).apply(x) as tfl.SymbolicTensor;
  x = L.dense({ units: 24, activation: 'relu', name: 'head_dense' }).apply(x) as tfl.SymbolicTensor;
  x = L.dense({ units: 10, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'transfer' });
}

/** trainable: false on the backbone's layers, as exported after fine-tuning a pretrained model. */
export function freezeBackbone(model: tfl.LayersModel): tfl.LayersModel {
  for (const layer of model.layers) if (layer.name.startsWith('backbone_') || layer.name === 'add_channel') layer.trainable = false;
  return model;
}

/** Trains like Keras's model.fit on `count` MNIST digits scaled by 1/255 (Keras's convention). */
export async function fitOnDigits(model: tfl.LayersModel, opts: { count?: number; epochs?: number; logits?: boolean; flat?: boolean } = {}): Promise<void> {
  const data = await loadDataset('mnist', { limit: opts.count ?? 2000 });
  const shape = (model.inputs[0].shape.slice(1) as number[]);
  const x = tf.tensor(data.x, [data.count, ...shape]);
  const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), 10);
  const loss = opts.logits ? (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) : 'categoricalCrossentropy';
  model.compile({ optimizer: tf.train.adam(3e-3), loss });
  await model.fit(x, y, { epochs: opts.epochs ?? 2, batchSize: 64, shuffle: true, verbose: 0 });
  tf.dispose([x, y]);
}

/** Writes a model as tensorflowjs_converter does (Keras-2-style topology, shards of `shardBytes`). */
export function exportConverterDir(model: tfl.LayersModel, dir: string, shardBytes = 16 * 1024): string {
  mkdirSync(dir, { recursive: true });
  writeConverterDir(dir, model.toJSON(null, false) as object, weightsOf(model), { shardBytes });
  return dir;
}

/** Loads a converter-layout directory with plain tfjs (tf.io.fromMemory over its files): no deepend code involved. */
export async function loadPlain(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: object; weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[] };
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) }));
}

/** The first `count` shipped digits as a Keras user feeds them: pixels / 255, in the model's input shape. */
export async function digitsAsKerasInput(count: number, shape: number[]): Promise<tf.Tensor> {
  const data = await loadDataset('mnist', { limit: count });
  return tf.tensor(data.x, [data.count, ...shape]);
}

/** A binary tabular task (two Gaussian blobs in 8 features, shifted by class) as a CSV with a label column. */
export function writeBlobsCsv(path: string, rows = 600, seed = 3): void {
  let s = seed;
  const random = () => ((s = (s * 1664525 + 1013904223) % 4294967296) / 4294967296);
  const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const lines = [['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7', 'label'].join(',')];
  for (let i = 0; i < rows; i++) {
    const label = i % 2 === 0 ? 'no' : 'yes';
    const shift = label === 'yes' ? 0.8 : -0.8;
    lines.push([...Array.from({ length: 8 }, (_, f) => (gauss() + (f < 4 ? shift : 0)).toFixed(4)), label].join(','));
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

/** A small MLP for the blobs with ELU units and a one-unit sigmoid output, trained with model.fit. */
export async function blobsMlp(csv: string): Promise<tfl.LayersModel> {
  const model = tfl.sequential({
    name: 'blobs_mlp',
    layers: [L.dense({ units: 12, activation: 'elu', inputShape: [8], name: 'dense' }), L.dense({ units: 1, activation: 'sigmoid', name: 'out' })],
  });
  const data = await loadDataset(csv);
  const x = tf.tensor2d(data.x, [data.count, 8]);
  const y = tf.tensor2d(Float32Array.from(data.y), [data.count, 1]);
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'binaryCrossentropy' });
  await model.fit(x, y, { epochs: 10, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

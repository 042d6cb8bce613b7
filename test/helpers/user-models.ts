// Models as their owners make them: small Keras-style networks trained here with
// tfjs-layers (model.fit, as a Keras user would), then written as the TF.js
// converter writes them. Nothing here is built by deepend's own code.
import { mkdirSync } from 'node:fs';
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

// Models as their owners make them: small Keras-style networks trained with tfjs-layers (model.fit, as a Keras
// user would), for tests and benchmarks. Nothing here is built by deepend's own code.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import { tf, tfl } from '../../src/tf';
import { loadDataset } from '../../src/data/load';

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

/** A one-hidden-layer MLP on flattened pixels ([784] input), as in Keras's first tutorial. */
export function flatMlp(): tfl.LayersModel {
  return tfl.sequential({
    name: 'flat_mlp',
    layers: [
      L.dense({ units: 32, activation: 'relu', inputShape: [784], name: 'hidden' }),
      L.dense({ units: 10, activation: 'softmax', name: 'out' }),
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
  x = L.conv2d({ filters: 8, kernelSize: 5, strides: 2, activation: 'relu', name: 'backbone_conv' }).apply(
    x,
  ) as tfl.SymbolicTensor;
  x = L.flatten({ name: 'backbone_flatten' }).apply(x) as tfl.SymbolicTensor;
  x = L.dense({ units: 24, activation: 'relu', name: 'head_dense' }).apply(x) as tfl.SymbolicTensor;
  x = L.dense({ units: 10, name: 'logits' }).apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'transfer' });
}

/** trainable: false on the backbone's layers, as exported after fine-tuning a pretrained model. */
export function freezeBackbone(model: tfl.LayersModel): tfl.LayersModel {
  for (const layer of model.layers)
    if (layer.name.startsWith('backbone_') || layer.name === 'add_channel') layer.trainable = false;
  return model;
}

/**
 * A CNN with every layer kind a grown chain may hold: Rescaling (so it takes raw pixels), BatchNormalization,
 * ReLU, AveragePooling2D, Activation, MaxPooling2D, PReLU, GlobalAveragePooling2D, LeakyReLU, Dropout, ELU and a
 * separate softmax Activation.
 */
export function everyLayerCnn(): tfl.LayersModel {
  return tfl.sequential({
    name: 'every_layer',
    layers: [
      L.rescaling({ scale: 1 / 255, inputShape: [28, 28, 1], name: 'rescale' }),
      L.conv2d({ filters: 16, kernelSize: 3, name: 'conv_a' }),
      L.batchNormalization({ name: 'bn_a' }),
      L.reLU({ name: 'relu_a' }),
      L.averagePooling2d({ poolSize: 2, name: 'avg_pool' }),
      L.conv2d({ filters: 16, kernelSize: 3, padding: 'same', name: 'conv_b' }),
      L.activation({ activation: 'relu', name: 'act_b' }),
      L.maxPooling2d({ poolSize: 2, name: 'max_pool' }),
      L.conv2d({ filters: 32, kernelSize: 3, name: 'conv_c' }),
      L.prelu({ name: 'prelu_c' }),
      L.globalAveragePooling2d({ name: 'gap' }),
      L.dense({ units: 32, name: 'dense_a' }),
      L.leakyReLU({ name: 'leaky_a' }),
      L.dropout({ rate: 0.1, name: 'drop' }),
      L.dense({ units: 32, activation: 'elu', name: 'dense_b' }),
      L.dense({ units: 10, name: 'logits' }),
      L.activation({ activation: 'softmax', name: 'softmax' }),
    ],
  });
}

/** Trains like Keras's model.fit on `count` MNIST digits scaled by 1/255 (Keras's convention). */
export async function fitOnDigits(
  model: tfl.LayersModel,
  opts: { count?: number; epochs?: number; logits?: boolean; rawPixels?: boolean } = {},
): Promise<void> {
  const data = await loadDataset('mnist', { limit: opts.count ?? 2000 });
  const shape = model.inputs[0].shape.slice(1) as number[];
  // a model that begins with Rescaling takes raw 0..255 pixels
  const x = tf.mul(tf.tensor(data.x, [data.count, ...shape]), opts.rawPixels ? 255 : 1);
  const y = tf.oneHot(tf.tensor1d(data.y, 'int32'), 10);
  const loss = opts.logits
    ? (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp)
    : 'categoricalCrossentropy';
  model.compile({ optimizer: tf.train.adam(3e-3), loss });
  await model.fit(x, y, { epochs: opts.epochs ?? 2, batchSize: 64, shuffle: true, verbose: 0 });
  tf.dispose([x, y]);
}

/** Loads a converter-layout directory with plain tfjs (tf.io.fromMemory over its files): no deepend code involved. */
export async function loadPlain(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weightData = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  );
}

/** The first `count` shipped digits as a Keras user feeds them: pixels / 255, in the model's input shape. */
export async function digitsAsKerasInput(count: number, shape: number[]): Promise<tf.Tensor> {
  const data = await loadDataset('mnist', { limit: count });
  return tf.tensor(data.x, [data.count, ...shape]);
}

/** A binary tabular task (two Gaussian blobs in 8 features, shifted by class) as a CSV with a label column. */
export function writeBlobsCsv(path: string, rows = 600, seed = 3): void {
  let s = seed;
  const random = () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296;
  };
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
    layers: [
      L.dense({ units: 12, activation: 'elu', inputShape: [8], name: 'dense' }),
      L.dense({ units: 1, activation: 'sigmoid', name: 'out' }),
    ],
  });
  const data = await loadDataset(csv);
  const x = tf.tensor2d(data.x, [data.count, 8]);
  const y = tf.tensor2d(Float32Array.from(data.y), [data.count, 1]);
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'binaryCrossentropy' });
  await model.fit(x, y, { epochs: 10, batchSize: 32, verbose: 0 });
  tf.dispose([x, y]);
  return model;
}

const SIZE = 224;

/** A seeded 224x224 RGB picture: a colour gradient, a blob and noise, different enough across seeds for the model to disagree. */
function picture(seed: number): Uint8Array {
  let s = seed * 7919 + 13;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const [r0, g0, b0, r1, g1, b1] = Array.from({ length: 6 }, () => random() * 255);
  const cx = random() * SIZE;
  const cy = random() * SIZE;
  const radius = 20 + random() * 80;
  const pixels = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const t = (x + y) / (2 * SIZE);
      const inBlob = (x - cx) ** 2 + (y - cy) ** 2 < radius ** 2;
      const i = (y * SIZE + x) * 3;
      pixels[i] = inBlob ? 255 - r0 : r0 * (1 - t) + r1 * t + (random() - 0.5) * 30;
      pixels[i + 1] = inBlob ? 255 - g0 : g0 * (1 - t) + g1 * t + (random() - 0.5) * 30;
      pixels[i + 2] = inBlob ? 255 - b0 : b0 * (1 - t) + b1 * t + (random() - 0.5) * 30;
    }
  }
  return pixels;
}

function writePng(path: string, rgb: Uint8Array): void {
  const png = new PNG({ width: SIZE, height: SIZE });
  for (let p = 0; p < SIZE * SIZE; p++) {
    png.data[p * 4] = rgb[p * 3];
    png.data[p * 4 + 1] = rgb[p * 3 + 1];
    png.data[p * 4 + 2] = rgb[p * 3 + 2];
    png.data[p * 4 + 3] = 255;
  }
  writeFileSync(path, PNG.sync.write(png));
}

/**
 * A folder of `count` pictures, each in the class folder of the label `model` gives it (fed as pixels / 255):
 * local data that a public export fits, for growing it without a labelled data set.
 */
export function writeLabelledPictures(model: tfl.LayersModel, dir: string, labels: string[], count: number): void {
  for (let i = 0; i < count; i++) {
    const rgb = picture(i);
    const label = tf.tidy(
      () =>
        tf
          .argMax(model.predict(tf.div(tf.tensor(rgb, [1, SIZE, SIZE, 3], 'float32'), 255)) as tf.Tensor, -1)
          .dataSync()[0],
    );
    mkdirSync(join(dir, labels[label]), { recursive: true });
    writePng(join(dir, labels[label], `${i}.png`), rgb);
  }
}

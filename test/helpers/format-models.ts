// Small tfjs-layers models covering what users bring (Sequential MLP and CNN, functional, a nested model), with
// every weight random so that a swapped or missing weight changes the predictions.
import { tf, tfl } from '../../src/tf';

const L = tfl.layers;

export function mlpModel(): tfl.LayersModel {
  return tfl.sequential({
    name: 'mlp',
    layers: [
      L.dense({ units: 16, activation: 'relu', inputShape: [8], name: 'dense_1' }),
      L.dropout({ rate: 0.3, name: 'dropout_1' }),
      L.dense({ units: 4, activation: 'softmax', name: 'dense_2' }),
    ],
  });
}

export function cnnModel(): tfl.LayersModel {
  return tfl.sequential({
    name: 'cnn',
    layers: [
      L.conv2d({
        filters: 6,
        kernelSize: 3,
        padding: 'valid',
        activation: 'relu',
        inputShape: [12, 12, 1],
        name: 'conv2d_1',
      }),
      L.batchNormalization({ name: 'batch_normalization_1' }),
      L.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }),
      L.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'conv2d_2' }),
      L.dropout({ rate: 0.25, name: 'dropout_1' }),
      L.flatten({ name: 'flatten_1' }),
      L.dense({ units: 5, activation: 'softmax', name: 'dense_1' }),
    ],
  });
}

export function functionalModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [10], name: 'input_1' });
  const a = L.dense({ units: 12, activation: 'relu', name: 'dense_a' }).apply(input) as tfl.SymbolicTensor;
  const b = L.dense({ units: 6, activation: 'tanh', name: 'dense_b' }).apply(input) as tfl.SymbolicTensor;
  const joined = L.concatenate({ name: 'concat' }).apply([a, b]) as tfl.SymbolicTensor;
  const normed = L.batchNormalization({ name: 'bn' }).apply(joined) as tfl.SymbolicTensor;
  const output = L.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(normed) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'two_branch' });
}

/** A functional model whose middle is a Sequential: nested weights, nested names, the container's built-in node. */
export function nestedModel(): tfl.LayersModel {
  const block = tfl.sequential({
    name: 'block',
    layers: [
      L.dense({ units: 8, activation: 'relu', inputShape: [6], name: 'block_dense' }),
      L.batchNormalization({ name: 'block_bn' }),
    ],
  });
  const input = tfl.input({ shape: [5], name: 'input_1' });
  const stem = L.dense({ units: 6, activation: 'relu', name: 'stem' }).apply(input) as tfl.SymbolicTensor;
  const mid = block.apply(stem) as tfl.SymbolicTensor;
  const output = L.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(mid) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'outer' });
}

export const MODELS: Record<string, () => tfl.LayersModel> = {
  mlp: mlpModel,
  cnn: cnnModel,
  functional: functionalModel,
  nested: nestedModel,
};

/** Every weight random (variances positive), seeded. */
export function randomiseWeights(model: tfl.LayersModel, seed = 7): tfl.LayersModel {
  model.weights.forEach((w, i) => {
    const positive = /moving_variance$/.test(w.originalName);
    const values = tf.randomUniform(
      w.shape as number[],
      positive ? 0.5 : -0.5,
      positive ? 1.5 : 0.5,
      'float32',
      seed + i,
    );
    w.write(values);
    values.dispose();
  });
  return model;
}

export function sampleInput(model: tfl.LayersModel, batch = 3, seed = 11): tf.Tensor {
  const shape = (model.inputs[0].shape as (number | null)[]).map((d) => d ?? batch);
  return tf.randomUniform(shape, 0, 1, 'float32', seed);
}

export function maxAbsDiff(a: tfl.LayersModel, b: tfl.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0]);
}

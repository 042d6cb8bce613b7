// Keras 3 model configurations written by hand from the documented Keras 3 format (keras/src/saving/
// serialization_lib.py serialize_keras_object, keras/src/models/functional.py get_config, the layers'
// get_config), each with the tfjs-layers model it describes, built with the tfjs API, and the table of where
// Keras 3 keeps each layer's variables in model.weights.h5 and what tensorflowjs_converter names them.
import { tfl } from '../../src/tf';

type Obj = Record<string, unknown>;
const L = tfl.layers;

const POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };

function obj(module: string, className: string, config: Obj = {}): Obj {
  return { module, class_name: className, config, registered_name: null };
}
const init = (className: string, config: Obj = {}) => obj('keras.initializers', className, config);

function layer(className: string, config: Obj, inputShape?: (number | null)[]): Obj {
  return {
    module: 'keras.layers',
    class_name: className,
    config: { trainable: true, dtype: POLICY, ...config },
    registered_name: null,
    ...(inputShape ? { build_config: { input_shape: inputShape } } : {}),
  };
}

function input(name: string, batchShape: (number | null)[]): Obj {
  return {
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name, optional: false },
    registered_name: null,
  };
}

function dense(name: string, units: number, activation: string, inputShape: (number | null)[]): Obj {
  return layer(
    'Dense',
    {
      name,
      units,
      activation,
      use_bias: true,
      kernel_initializer: init('GlorotUniform', { seed: null }),
      bias_initializer: init('Zeros'),
      kernel_regularizer: obj('keras.regularizers', 'L2', { l2: 0.001 }),
      bias_regularizer: null,
      kernel_constraint: obj('keras.constraints', 'MaxNorm', { max_value: 3, axis: 0 }),
      bias_constraint: null,
      quantization_config: null,
    },
    inputShape,
  );
}

function conv2d(name: string, filters: number, inputShape: (number | null)[]): Obj {
  return layer(
    'Conv2D',
    {
      name,
      filters,
      kernel_size: [3, 3],
      strides: [1, 1],
      padding: 'valid',
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: 'relu',
      use_bias: true,
      kernel_initializer: init('HeNormal', { seed: null }),
      bias_initializer: init('Zeros'),
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
    inputShape,
  );
}

function batchNorm(name: string, inputShape: (number | null)[]): Obj {
  return layer(
    'BatchNormalization',
    {
      name,
      axis: -1,
      momentum: 0.99,
      epsilon: 0.001,
      center: true,
      scale: true,
      beta_initializer: init('Zeros'),
      gamma_initializer: init('Ones'),
      moving_mean_initializer: init('Zeros'),
      moving_variance_initializer: init('Ones'),
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
      synchronized: false,
    },
    inputShape,
  );
}

function tensor(layerName: string, shape: (number | null)[], node = 0): Obj {
  return { class_name: '__keras_tensor__', config: { shape, dtype: 'float32', keras_history: [layerName, node, 0] } };
}

function called(entry: Obj, ...inputs: Obj[]): Obj {
  const name = (entry.config as Obj).name;
  const inboundNodes = inputs.length === 0 ? [] : [{ args: inputs.length === 1 ? [inputs[0]] : [inputs], kwargs: {} }];
  return { ...entry, name, inbound_nodes: inboundNodes };
}

export interface LayerPlace {
  /** Layer names from the top model down. */
  chain: string[];
  /** Where Keras 3 keeps the layer's variables: `<path>/vars/<i>`. */
  path: string;
  /** tensorflowjs_converter's name prefix for the layer's weights (`<prefix>/kernel`). */
  prefix: string;
}

export interface Keras3Fixture {
  name: string;
  /** config.json of the .keras archive, and modelTopology of a converted directory. */
  config: Obj;
  reference: () => tfl.LayersModel;
  places: LayerPlace[];
}

/** A Sequential CNN whose layer names differ from their class names (Keras 3 paths go by class). */
export const KERAS3_CNN: Keras3Fixture = {
  name: 'keras3-cnn',
  config: {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'sequential_4',
      trainable: true,
      dtype: POLICY,
      layers: [
        input('input_layer', [null, 12, 12, 1]),
        conv2d('features', 6, [null, 12, 12, 1]),
        batchNorm('norm', [null, 10, 10, 6]),
        layer(
          'MaxPooling2D',
          { name: 'pool', pool_size: [2, 2], padding: 'valid', strides: [2, 2], data_format: 'channels_last' },
          [null, 10, 10, 6],
        ),
        conv2d('features_2', 8, [null, 5, 5, 6]),
        layer('Dropout', { name: 'drop', rate: 0.25, seed: null, noise_shape: null }, [null, 3, 3, 8]),
        layer('Flatten', { name: 'flat', data_format: 'channels_last' }, [null, 3, 3, 8]),
        dense('classifier', 5, 'softmax', [null, 72]),
      ],
      build_input_shape: [null, 12, 12, 1],
    },
    registered_name: null,
    build_config: { input_shape: [null, 12, 12, 1] },
    compile_config: null,
  },
  reference: () =>
    tfl.sequential({
      name: 'sequential_4',
      layers: [
        L.conv2d({
          filters: 6,
          kernelSize: 3,
          padding: 'valid',
          activation: 'relu',
          inputShape: [12, 12, 1],
          name: 'features',
        }),
        L.batchNormalization({ name: 'norm' }),
        L.maxPooling2d({ poolSize: 2, name: 'pool' }),
        L.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', activation: 'relu', name: 'features_2' }),
        L.dropout({ rate: 0.25, name: 'drop' }),
        L.flatten({ name: 'flat' }),
        L.dense({ units: 5, activation: 'softmax', name: 'classifier' }),
      ],
    }),
  places: [
    { chain: ['features'], path: 'layers/conv2d', prefix: 'sequential_4/features' },
    { chain: ['norm'], path: 'layers/batch_normalization', prefix: 'sequential_4/norm' },
    { chain: ['features_2'], path: 'layers/conv2d_1', prefix: 'sequential_4/features_2' },
    { chain: ['classifier'], path: 'layers/dense', prefix: 'sequential_4/classifier' },
  ],
};

/** A functional model with a nested Sequential feeding a Concatenate: Keras 3 nodes, node 0 of a nested model. */
export const KERAS3_NESTED: Keras3Fixture = {
  name: 'keras3-nested',
  config: {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: 'functional_7',
      trainable: true,
      layers: [
        called(input('inputs', [null, 6])),
        called(dense('stem', 8, 'relu', [null, 6]), tensor('inputs', [null, 6])),
        called(
          {
            module: 'keras',
            class_name: 'Sequential',
            config: {
              name: 'block',
              trainable: true,
              dtype: POLICY,
              layers: [
                input('block_input', [null, 8]),
                dense('block_dense', 8, 'relu', [null, 8]),
                batchNorm('block_bn', [null, 8]),
              ],
              build_input_shape: [null, 8],
            },
            registered_name: null,
            build_config: { input_shape: [null, 8] },
          },
          tensor('stem', [null, 8]),
        ),
        called(
          layer('Concatenate', { name: 'merge', axis: -1 }, [
            [null, 8],
            [null, 8],
          ] as never),
          tensor('stem', [null, 8]),
          tensor('block', [null, 8]),
        ),
        called(dense('head', 3, 'softmax', [null, 16]), tensor('merge', [null, 16])),
      ],
      input_layers: ['inputs', 0, 0],
      output_layers: [['head', 0, 0]],
    },
    registered_name: 'Functional',
    build_config: { input_shape: null },
    compile_config: null,
  },
  reference: () => {
    const block = tfl.sequential({
      name: 'block',
      layers: [
        L.dense({ units: 8, activation: 'relu', inputShape: [8], name: 'block_dense' }),
        L.batchNormalization({ name: 'block_bn' }),
      ],
    });
    const inputs = tfl.input({ shape: [6], name: 'inputs' });
    const stem = L.dense({ units: 8, activation: 'relu', name: 'stem' }).apply(inputs) as tfl.SymbolicTensor;
    const mid = block.apply(stem) as tfl.SymbolicTensor;
    const merged = L.concatenate({ name: 'merge' }).apply([stem, mid]) as tfl.SymbolicTensor;
    const head = L.dense({ units: 3, activation: 'softmax', name: 'head' }).apply(merged) as tfl.SymbolicTensor;
    return tfl.model({ inputs, outputs: head, name: 'functional_7' });
  },
  places: [
    { chain: ['stem'], path: 'layers/dense', prefix: 'functional_7/stem' },
    {
      chain: ['block', 'block_dense'],
      path: 'layers/sequential/layers/dense',
      prefix: 'functional_7/block/block_dense',
    },
    {
      chain: ['block', 'block_bn'],
      path: 'layers/sequential/layers/batch_normalization',
      prefix: 'functional_7/block/block_bn',
    },
    { chain: ['head'], path: 'layers/dense_1', prefix: 'functional_7/head' },
  ],
};

export function layerAt(model: tfl.LayersModel, chain: string[]): tfl.layers.Layer {
  return chain.reduce<tfl.layers.Layer>((l, name) => (l as tfl.LayersModel).getLayer(name), model);
}

/** The reference model's weights under the names tensorflowjs_converter gives them for a Keras 3 model. */
export function converterWeights(fixture: Keras3Fixture, model: tfl.LayersModel) {
  return fixture.places.flatMap((place) =>
    layerAt(model, place.chain).weights.map((w) => ({
      name: `${place.prefix}/${w.originalName.split('/').pop()}`,
      shape: [...(w.shape as number[])],
      values: Float32Array.from(w.read().dataSync()),
    })),
  );
}

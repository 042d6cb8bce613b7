/**
 * The other direction of keras-config.ts: a tfjs-layers (Keras 2 style) topology to Keras 3 config.json
 * conventions, so that `keras.saving.load_model()` reads what deepend writes.
 *
 * | tfjs-layers                                        | Keras 3                                                                 |
 * |----------------------------------------------------|-------------------------------------------------------------------------|
 * | `{class_name, config}`                             | `{module, class_name, config, registered_name}` (`keras.layers`, ...)   |
 * | layer `dtype: 'float32'`                           | `{module: 'keras', class_name: 'DTypePolicy', config: {name}}`          |
 * | Sequential: `batch_input_shape` on its first layer | an InputLayer `{batch_shape}` first (Keras 3 refuses batch_input_shape) |
 * | InputLayer `batch_input_shape`                     | `batch_shape`                                                            |
 * | initializers / regularizers / constraints          | the same wrapper with keras.initializers / .regularizers / .constraints |
 * | `LeCunNormal`, `LeCunUniform`                      | `LecunNormal`, `LecunUniform`                                           |
 * | VarianceScaling `distribution: 'normal'`           | `'truncated_normal'` (what tfjs's 'normal' draws)                       |
 * | LeakyReLU `alpha`                                  | `negative_slope`                                                        |
 * | Embedding `input_length`, RNN `implementation`     | dropped (Keras 3 has neither)                                           |
 * | node `[[layer, node, tensor, kwargs], ...]`        | `{args: [__keras_tensor__ or a list of them], kwargs}`                  |
 * | node index of a nested model (tfjs counts its built-in node 0) | index - 1 (a Keras 3 model has no built-in node)            |
 * | `input_layers`/`output_layers` naming a nested Sequential | node index - 1 (Keras 3 counts a Sequential's kept nodes from 0) |
 * | a class Keras does not ship (deepend's ScaledAdd)  | `module: 'deepend'`, `registered_name: 'deepend>Class'` (a custom object) |
 */
import type { tfl } from '../../tf';

type Obj = Record<string, unknown>;

const KERAS_LAYERS = new Set(
  (
    'InputLayer Dense Conv1D Conv2D Conv3D Conv2DTranspose SeparableConv2D DepthwiseConv2D MaxPooling1D MaxPooling2D ' +
    'AveragePooling1D AveragePooling2D GlobalAveragePooling1D GlobalAveragePooling2D GlobalMaxPooling1D GlobalMaxPooling2D ' +
    'Dropout SpatialDropout1D SpatialDropout2D GaussianNoise GaussianDropout AlphaDropout BatchNormalization LayerNormalization ' +
    'Flatten Reshape Permute RepeatVector Activation ReLU LeakyReLU PReLU ELU Softmax Add Subtract Multiply Average Maximum ' +
    'Minimum Concatenate Dot ZeroPadding1D ZeroPadding2D Cropping1D Cropping2D UpSampling1D UpSampling2D Embedding LSTM GRU ' +
    'SimpleRNN Bidirectional TimeDistributed Rescaling Masking'
  ).split(' '),
);
const INITIALIZER_NAMES: Record<string, string> = { LeCunNormal: 'LecunNormal', LeCunUniform: 'LecunUniform' };
const DROPPED: Record<string, string[]> = {
  Embedding: ['input_length'],
  LSTM: ['implementation'],
  GRU: ['implementation'],
};

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isModel(entry: Obj): boolean {
  return entry.class_name === 'Sequential' || entry.class_name === 'Model' || entry.class_name === 'Functional';
}

export function dtypePolicy(name: unknown): Obj {
  return {
    module: 'keras',
    class_name: 'DTypePolicy',
    config: { name: typeof name === 'string' ? name : 'float32' },
    registered_name: null,
  };
}

function wrapped(module: string, className: string, config: unknown): Obj {
  return { module, class_name: className, config, registered_name: null };
}

function convertInitializer(v: Obj): Obj {
  const cls = String(v.class_name);
  const config = { ...(isObj(v.config) ? v.config : {}) };
  if (cls === 'VarianceScaling' && config.distribution === 'normal') config.distribution = 'truncated_normal';
  return wrapped('keras.initializers', INITIALIZER_NAMES[cls] ?? cls, config);
}

function convertValue(key: string, v: unknown): unknown {
  if (!isObj(v) || typeof v.class_name !== 'string') return v;
  if (key.endsWith('initializer')) return convertInitializer(v);
  if (key.endsWith('regularizer')) return wrapped('keras.regularizers', v.class_name, v.config);
  if (key.endsWith('constraint')) return wrapped('keras.constraints', v.class_name, v.config);
  if (key === 'layer') return convertLayer(v);
  return v;
}

function layerModule(className: string): { module: string; registered_name: string | null } {
  return KERAS_LAYERS.has(className)
    ? { module: 'keras.layers', registered_name: null }
    : { module: 'deepend', registered_name: `deepend>${className}` };
}

function inputLayer(batchShape: unknown, name: string, dtype: unknown): Obj {
  const config = { batch_shape: batchShape, dtype: typeof dtype === 'string' ? dtype : 'float32', sparse: false, name };
  return { module: 'keras.layers', class_name: 'InputLayer', config, registered_name: null };
}

function convertLayer(entry: Obj): Obj {
  const className = String(entry.class_name);
  const source = isObj(entry.config) ? entry.config : {};
  if (className === 'InputLayer')
    return inputLayer(source.batch_input_shape ?? source.batch_shape, String(source.name), source.dtype);
  const config: Obj = {};
  for (const [k, v] of Object.entries(source)) {
    if (k === 'batch_input_shape' || k === 'input_shape' || DROPPED[className]?.includes(k)) continue;
    config[className === 'LeakyReLU' && k === 'alpha' ? 'negative_slope' : k] = convertValue(k, v);
  }
  config.dtype = dtypePolicy(source.dtype);
  return { ...layerModule(className), class_name: className, config };
}

interface Context {
  model: tfl.LayersModel;
  names: Set<string>;
}

/** The context of a nested model: its own tfjs model gives its tensors' shapes. */
function nested(ctx: Context, entry: Obj): Context {
  const name = String(entry.name ?? (isObj(entry.config) ? entry.config.name : ''));
  return { ...ctx, model: ctx.model.getLayer(name) as tfl.LayersModel };
}

function uniqueName(base: string, ctx: Context): string {
  let name = base;
  for (let i = 1; ctx.names.has(name); i++) name = `${base}_${i}`;
  ctx.names.add(name);
  return name;
}

function convertSequential(config: Obj, ctx: Context): Obj {
  const entries = (config.layers as Obj[]).filter(isObj);
  const name = String(config.name ?? 'sequential');
  const layers: Obj[] = [];
  let batchShape: unknown = null;
  const first = entries[0];
  const firstConfig = first && isObj(first.config) ? first.config : {};
  if (first?.class_name === 'InputLayer') batchShape = firstConfig.batch_input_shape ?? firstConfig.batch_shape;
  else if (firstConfig.batch_input_shape) {
    batchShape = firstConfig.batch_input_shape;
    layers.push(inputLayer(batchShape, uniqueName(`${name}_input`, ctx), firstConfig.dtype));
  }
  for (const e of entries) layers.push(isModel(e) ? convertModel(e, nested(ctx, e)) : convertLayer(e));
  const out: Obj = { name, trainable: true, dtype: dtypePolicy('float32'), layers };
  if (batchShape) out.build_input_shape = batchShape;
  return {
    module: 'keras',
    class_name: 'Sequential',
    config: out,
    registered_name: null,
    ...(batchShape ? { build_config: { input_shape: batchShape } } : {}),
  };
}

function outputShape(ctx: Context, layerName: string, node: number, tensor: number): unknown {
  try {
    const layer = ctx.model.getLayer(layerName);
    return layer.inboundNodes[node]?.outputTensors[tensor]?.shape ?? layer.outputShape;
  } catch {
    return null;
  }
}

function convertNode(node: unknown, ctx: Context, models: Set<string>): Obj {
  const inputs = (Array.isArray(node) ? node : []) as unknown[][];
  const tensors = inputs.map(([layer, n, t]) => ({
    class_name: '__keras_tensor__',
    config: {
      shape: outputShape(ctx, String(layer), Number(n), Number(t)),
      dtype: 'float32',
      keras_history: [layer, models.has(String(layer)) ? Number(n) - 1 : Number(n), Number(t)],
    },
  }));
  const kwargs = inputs.length > 0 && isObj(inputs[0][3]) ? inputs[0][3] : {};
  return { args: tensors.length === 1 ? [tensors[0]] : [tensors], kwargs };
}

function convertFunctional(config: Obj, ctx: Context): Obj {
  const entries = (config.layers as Obj[]).filter(isObj);
  const models = new Set(entries.filter(isModel).map((e) => String(e.name)));
  const sequentials = new Set(entries.filter((e) => e.class_name === 'Sequential').map((e) => String(e.name)));
  const layers = entries.map((e) => {
    const out = isModel(e) ? convertModel(e, nested(ctx, e)) : convertLayer(e);
    const nodes = Array.isArray(e.inbound_nodes) ? e.inbound_nodes : [];
    return { ...out, name: e.name, inbound_nodes: nodes.map((n) => convertNode(n, ctx, models)) };
  });
  const ends = (v: unknown) =>
    (Array.isArray(v) ? v : []).map((triple) => {
      const [layer, n, t] = triple as [string, number, number];
      return [layer, sequentials.has(layer) ? n - 1 : n, t];
    });
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: String(config.name ?? 'functional'),
      trainable: true,
      layers,
      input_layers: ends(config.input_layers),
      output_layers: ends(config.output_layers),
    },
    registered_name: 'Functional',
  };
}

function convertModel(entry: Obj, ctx: Context): Obj {
  const config = isObj(entry.config) ? entry.config : { layers: entry.config };
  return entry.class_name === 'Sequential' ? convertSequential(config, ctx) : convertFunctional(config, ctx);
}

function collectNames(entry: Obj, names: Set<string>): void {
  const config = isObj(entry.config) ? entry.config : {};
  if (typeof config.name === 'string') names.add(config.name);
  if (Array.isArray(config.layers)) for (const l of config.layers) if (isObj(l)) collectNames(l, names);
}

/** config.json's model for `topology` (tfjs-layers' own, from `model`, which gives the tensors' shapes). */
export function toKeras3Config(topology: Obj, model: tfl.LayersModel): Obj {
  const entry = isObj(topology.model_config) ? topology.model_config : topology;
  const names = new Set<string>();
  collectNames(entry, names);
  return convertModel(entry, { model, names });
}

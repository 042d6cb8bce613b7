/**
 * Rewrites a Keras (2 or 3) or TF.js model configuration into the form tfjs-layers 4.22 deserialises, in memory.
 *
 * | what the file has                                                      | what tfjs-layers gets                         | why |
 * |------------------------------------------------------------------------|-----------------------------------------------|-----|
 * | `{keras_version, backend, model_config, training_config}` (Keras .h5)  | `model_config`, keeping keras_version/backend | the model is `model_config`; the training config is not ours to keep |
 * | `model_config` as a JSON string                                        | the parsed object                             | some writers store the attribute's text as it is |
 * | `{module, class_name, config, registered_name, build_config, ...}`     | `{class_name, config}`                        | Keras 3 `serialize_keras_object` wrapper; tfjs knows classes by class_name only |
 * | Sequential config as a list of layers (Keras 1, converter 1.x)         | `{name, layers}`                              | one shape for everything downstream |
 * | Sequential without InputLayer or batch_input_shape, built with `build_input_shape` / `build_config` | `batch_input_shape` on its first layer | Keras records the shape of `model.build(shape)` there; tfjs needs it on the first layer |
 * | InputLayer `batch_shape`                                               | `batch_input_shape`                           | Keras 3 renamed it; tfjs's InputLayer needs batchInputShape or inputShape |
 * | `dtype: {class_name: DTypePolicy / FloatDTypePolicy, config: {name}}`  | `dtype: name`                                 | Keras 3 dtype policies; tfjs takes a dtype string |
 * | dtype policy `mixed_float16` / `mixed_bfloat16` / `float16` / `bfloat16` | `float32`                                   | tfjs computes and keeps variables in float32 only |
 * | initializer / regularizer / constraint as Keras 3 objects              | `{class_name, config}`                        | same wrapper, one level down |
 * | initializers `LecunNormal`, `LecunUniform`, `IdentityInitializer`      | `LeCunNormal`, `LeCunUniform`, `Identity`     | tfjs registers these under other class names |
 * | regularizers `L1` / `L2` `{l1}` / `{l2}`                               | `L1L2 {l1, l2}`                               | tfjs registers only L1L2 |
 * | `{class_name: 'function', config: 'relu'}` (serialised activation)     | `'relu'`                                      | tfjs takes activation names |
 * | LeakyReLU `negative_slope` (Keras 3)                                   | `alpha`                                       | Keras 3 renamed it; tfjs reads alpha |
 * | activation `silu` (Keras 3 saves `swish` so)                           | `swish`                                       | the same function, x * sigmoid(x); tfjs knows it as swish only |
 * | ReLU with a non-zero `negative_slope` or `threshold`                   | refused, one line                             | tfjs's ReLU takes max_value only and would silently compute something else |
 * | RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast, RandomBrightness | Activation `linear` of the same name | image augmentation: the identity at inference, which is all deepend runs it as (growth does not augment); tfjs-layers has none of them |
 * | a tensor divided, multiplied, added to or subtracted by a number: Keras 3's TrueDivide / Multiply / Add / Subtract operation, Keras 2's TFOpLambda (`math.truediv`, ...) | Rescaling (scale, offset) of the same name | `preprocess_input` and `x / 127.5 - 1` in a functional model; tfjs-layers has no operation layers |
 * | `__tuple__` / `__numpy__` / `__bytes__` wrappers                       | their value                                   | Keras 3 serialisation of Python values |
 * | `shared_object_id`, `build_config`, `compile_config`, `build_input_shape` (once used) | dropped                         | Keras bookkeeping tfjs does not read |
 * | functional `inbound_nodes: [{args: [__keras_tensor__...], kwargs}]`    | `[[[layer, node, tensor, kwargs], ...]]`      | Keras 3 node format; tfjs reads Keras 2 node lists |
 * | `keras_history` / Keras 2 node index pointing at a nested Keras 3 model | index + 1                                   | a tfjs (and Keras 2) container has a built-in node 0; a Keras 3 model has none |
 * | `input_layers` / `output_layers` as one flat `[layer, node, tensor]`  | `[[layer, node, tensor]]`                     | Keras 3 writes a single input/output as a bare triple, tfjs wants a list |
 * | `input_layers` / `output_layers` as a dict or nested lists             | the triples in order                          | Keras 3 keeps the input structure; tfjs takes a flat list |
 * | an `output_layers` / `input_layers` entry naming a nested Sequential   | node index + 1                                | Keras 3 counts kept nodes of a Sequential from 0 and of a Functional from 1; tfjs from 1 for both |
 * | weight names prefixed with the model's name (`sequential_4/conv2d/kernel`) | `conv2d/kernel`                           | done on the weights, not here: see weights-by-name.ts |
 */
import { problem } from './problem';

type Obj = Record<string, unknown>;

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
const WRAPPER_KEYS = new Set(['module', 'registered_name', 'build_config', 'compile_config', 'shared_object_id']);
const DROPPED_CONFIG_KEYS = new Set(['build_input_shape', 'shared_object_id']);
const RENAMED_CLASSES: Record<string, string> = {
  LecunNormal: 'LeCunNormal',
  LecunUniform: 'LeCunUniform',
  IdentityInitializer: 'Identity',
};
/** Keras's random augmentation layers that pass inputs through unchanged at inference (not RandomCrop: it crops). */
const AUGMENTATION_CLASSES = new Set([
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomTranslation',
  'RandomContrast',
  'RandomBrightness',
]);
const FLOAT_POLICIES = new Set(['mixed_float16', 'mixed_bfloat16', 'float16', 'bfloat16', 'float64']);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isKerasObject(v: unknown): v is Obj & { class_name: string } {
  return isObj(v) && typeof v.class_name === 'string' && 'config' in v;
}

function isModelEntry(entry: Obj): boolean {
  const config = entry.config;
  return (
    MODEL_CLASSES.has(String(entry.class_name)) ||
    Array.isArray(config) ||
    (isObj(config) && Array.isArray(config.layers))
  );
}

function policyName(policy: Obj): string {
  const name = isObj(policy.config) && typeof policy.config.name === 'string' ? policy.config.name : 'float32';
  return FLOAT_POLICIES.has(name) ? 'float32' : name;
}

/** A value inside a layer config: Keras 3 objects become `{class_name, config}`, Python wrappers their value. */
function normaliseValue(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v));
  if (!isObj(value))
    return key === 'dtype' && typeof value === 'string' && FLOAT_POLICIES.has(value) ? 'float32' : value;
  if (isKerasObject(value)) {
    const cls = value.class_name;
    const inner = value.config;
    if (key === 'dtype' || /DTypePolicy$/.test(cls)) return policyName(value);
    if (cls === '__tuple__' || cls === '__numpy__' || cls === '__bytes__')
      return normaliseValue(isObj(inner) ? inner.value : inner);
    if (cls === 'function' && typeof inner === 'string') return inner;
    if ((cls === 'L1' || cls === 'L2') && isObj(inner)) {
      return { class_name: 'L1L2', config: { l1: Number(inner.l1 ?? 0), l2: Number(inner.l2 ?? 0) } };
    }
    return { class_name: RENAMED_CLASSES[cls] ?? cls, config: normaliseValue(inner) };
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (!DROPPED_CONFIG_KEYS.has(k)) out[k] = normaliseValue(v, k);
  return out;
}

function normaliseLayerConfig(className: string, config: unknown, source: string): Obj {
  const out = normaliseValue(isObj(config) ? config : {}) as Obj;
  if (className === 'InputLayer' && out.batch_input_shape === undefined && Array.isArray(out.batch_shape)) {
    out.batch_input_shape = out.batch_shape;
    delete out.batch_shape;
  }
  if (out.activation === 'silu') out.activation = 'swish';
  if (className === 'LeakyReLU' && out.alpha === undefined && typeof out.negative_slope === 'number') {
    out.alpha = out.negative_slope;
    delete out.negative_slope;
  }
  if (className === 'ReLU' && (Number(out.negative_slope ?? 0) !== 0 || Number(out.threshold ?? 0) !== 0)) {
    throw problem(
      source,
      `layer "${String(out.name)}" is a ReLU with a negative_slope or threshold, which tfjs-layers does not compute`,
    );
  }
  return out;
}

/** A Keras 3 `__keras_tensor__`, or undefined. */
function kerasHistory(v: unknown): [string, number, number] | undefined {
  if (!isObj(v) || v.class_name !== '__keras_tensor__' || !isObj(v.config)) return undefined;
  const h = v.config.keras_history;
  if (Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'number' && typeof h[2] === 'number')
    return [h[0], h[1], h[2]];
  return undefined;
}

function collectTensors(v: unknown, out: [string, number, number][]): void {
  const h = kerasHistory(v);
  if (h) out.push(h);
  else if (Array.isArray(v))
    v.forEach((x) => {
      collectTensors(x, out);
    });
  else if (isObj(v) && !isKerasObject(v))
    Object.values(v).forEach((x) => {
      collectTensors(x, out);
    });
}

interface Graph {
  source: string;
  layer: string;
  /** Names of the layers of this functional model that are models themselves. */
  models: Set<string>;
}

function convertNode(node: unknown, g: Graph): unknown {
  if (Array.isArray(node)) {
    // Keras 2 node: [[layer, node, tensor, kwargs?], ...]; kept as it is.
    return node;
  }
  if (!isObj(node) || !('args' in node))
    throw problem(g.source, `layer "${g.layer}" has an inbound node in an unknown format`);
  const tensors: [string, number, number][] = [];
  collectTensors(node.args, tensors);
  const kwargs: Obj = {};
  for (const [k, v] of Object.entries(isObj(node.kwargs) ? node.kwargs : {})) {
    const inKwarg: [string, number, number][] = [];
    collectTensors(v, inKwarg);
    if (inKwarg.length > 0)
      throw problem(
        g.source,
        `layer "${g.layer}" is called with a tensor as keyword argument "${k}", which tfjs-layers cannot represent`,
      );
    if (k !== 'mask' && v !== null) kwargs[k] = normaliseValue(v);
  }
  if (tensors.length === 0) throw problem(g.source, `layer "${g.layer}" has an inbound node without input tensors`);
  return tensors.map(([layer, n, t]) => [layer, g.models.has(layer) ? n + 1 : n, t, kwargs]);
}

function isTriple(v: unknown): v is [string, number, number] {
  return (
    Array.isArray(v) &&
    v.length >= 3 &&
    typeof v[0] === 'string' &&
    typeof v[1] === 'number' &&
    typeof v[2] === 'number'
  );
}

function flattenTriples(v: unknown, out: [string, number, number][]): void {
  if (isTriple(v)) out.push([v[0], v[1], v[2]]);
  else if (Array.isArray(v))
    v.forEach((x) => {
      flattenTriples(x, out);
    });
  else if (isObj(v))
    Object.values(v).forEach((x) => {
      flattenTriples(x, out);
    });
}

function modelEnds(v: unknown, sequentials: Set<string>, keras3: boolean): [string, number, number][] {
  const triples: [string, number, number][] = [];
  flattenTriples(v, triples);
  return triples.map(([layer, n, t]) => [layer, keras3 && sequentials.has(layer) ? n + 1 : n, t]);
}

function layerEntries(config: Obj, source: string, name: string): Obj[] {
  if (!Array.isArray(config.layers)) throw problem(source, `model "${name}" has no layers list`);
  return config.layers.map((l, i) => {
    if (!isObj(l) || typeof l.class_name !== 'string')
      throw problem(source, `layer ${i + 1} of model "${name}" has no class_name`);
    return l;
  });
}

function normaliseSequential(rawConfig: unknown, source: string, buildShape: unknown): Obj {
  const config: Obj = Array.isArray(rawConfig) ? { name: 'sequential', layers: rawConfig } : { ...(rawConfig as Obj) };
  const name = String(config.name ?? 'sequential');
  const layers = layerEntries(config, source, name).map((l) => normaliseLayerEntry(l, source, undefined));
  const first = layers[0]?.config as Obj | undefined;
  const shape = config.build_input_shape ?? buildShape;
  if (
    first &&
    layers[0].class_name !== 'InputLayer' &&
    !isModelEntry(layers[0]) &&
    first.batch_input_shape === undefined &&
    Array.isArray(shape)
  ) {
    first.batch_input_shape = shape;
  }
  return { name, layers };
}

function normaliseFunctional(rawConfig: Obj, source: string): Obj {
  const name = String(rawConfig.name ?? 'model');
  const entries = layerEntries(rawConfig, source, name);
  const keras3 = entries.some((l) => Array.isArray(l.inbound_nodes) && l.inbound_nodes.some((n) => isObj(n)));
  const models = new Set<string>();
  const sequentials = new Set<string>();
  for (const l of entries) {
    const layerName = String(l.name ?? (isObj(l.config) ? l.config.name : ''));
    if (isModelEntry(l)) {
      // Only Keras 3 models lack the built-in node that tfjs (and Keras 2) count.
      if (keras3) models.add(layerName);
      if (String(l.class_name) === 'Sequential') sequentials.add(layerName);
    }
  }
  const layers = entries.map((l) => normaliseLayerEntry(l, source, { source, layer: '', models }));
  return {
    name,
    layers,
    input_layers: modelEnds(rawConfig.input_layers, sequentials, keras3),
    output_layers: modelEnds(rawConfig.output_layers, sequentials, keras3),
  };
}

/** x op c as scale * x + offset, for a number c on the right (on either side where the operation commutes). */
const SCALAR_OPERATIONS: Record<string, { right: (c: number) => [number, number]; commutes: boolean }> = {
  TrueDivide: { right: (c) => [1 / c, 0], commutes: false },
  Divide: { right: (c) => [1 / c, 0], commutes: false },
  Multiply: { right: (c) => [c, 0], commutes: true },
  Add: { right: (c) => [1, c], commutes: true },
  Subtract: { right: (c) => [1, -c], commutes: false },
};

/** Keras 2's TFOpLambda functions that are those operations (`x / 127.5` is math.truediv, `x + 1` __operators__.add). */
const TF_OP_FUNCTIONS: Record<string, string> = {
  'math.truediv': 'TrueDivide',
  'math.divide': 'TrueDivide',
  'math.multiply': 'Multiply',
  'math.add': 'Add',
  '__operators__.add': 'Add',
  'math.subtract': 'Subtract',
};

interface ScalarOperation {
  scale: number;
  offset: number;
  /** The tensor it takes: [layer, node, tensor], node counted as the file counts it. */
  input: [string, number, number];
  keras3: boolean;
}

/**
 * The scale and offset of an entry that is one tensor op'ed with one number: a Keras 3 operation layer (args
 * [tensor, number]; the merge layers Add, Subtract, Multiply take one list of tensors, never a number, and the
 * legacy .h5 drops the module that would tell them apart) or a Keras 2 TFOpLambda whose one node passes the number
 * as `y`. Undefined for anything else.
 */
function scalarOperation(entry: Obj): ScalarOperation | undefined {
  const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
  if (nodes.length !== 1) return undefined;
  const node = nodes[0];
  if (entry.class_name === 'TFOpLambda') {
    const op = isObj(entry.config) ? SCALAR_OPERATIONS[TF_OP_FUNCTIONS[String(entry.config.function)]] : undefined;
    // a TFOpLambda's node is one call, [layer, node, tensor, kwargs] (some writers nest it in a list)
    const call: unknown[] | undefined = Array.isArray(node) && Array.isArray(node[0]) ? node[0] : node;
    if (!op || !Array.isArray(call) || !isTriple(call.slice(0, 3)) || !isObj(call[3])) return undefined;
    const y = call[3].y;
    if (typeof y !== 'number' || y === 0) return undefined;
    const [scale, offset] = op.right(y);
    return { scale, offset, input: call.slice(0, 3) as [string, number, number], keras3: false };
  }
  const op = SCALAR_OPERATIONS[String(entry.class_name)];
  if (!op || !isObj(node) || !Array.isArray(node.args) || node.args.length !== 2) return undefined;
  if (isObj(node.kwargs) && Object.keys(node.kwargs).length > 0) return undefined;
  const [a, b] = node.args as unknown[];
  let input = kerasHistory(a);
  let c = b;
  if (!input && op.commutes) [input, c] = [kerasHistory(b), a];
  if (!input || typeof c !== 'number' || c === 0) return undefined;
  const [scale, offset] = op.right(c);
  return { scale, offset, input, keras3: true };
}

/** An augmentation layer as the identity it is at inference: a linear Activation with its name (and input shape). */
function identityOf(config: Obj): Obj {
  const kept = ['name', 'trainable', 'dtype', 'batch_input_shape'].filter((k) => config[k] !== undefined);
  return {
    class_name: 'Activation',
    config: { ...Object.fromEntries(kept.map((k) => [k, config[k]])), activation: 'linear' },
  };
}

function normaliseLayerEntry(entry: Obj, source: string, graph: Graph | undefined): Obj {
  const className = String(entry.class_name);
  const name = String(entry.name ?? (isObj(entry.config) ? entry.config.name : ''));
  const scaling = graph ? scalarOperation(entry) : undefined;
  let out: Obj;
  if (isModelEntry(entry)) out = normaliseModelEntry(entry, source);
  else if (AUGMENTATION_CLASSES.has(className)) out = identityOf(normaliseLayerConfig(className, entry.config, source));
  else if (scaling)
    out = { class_name: 'Rescaling', config: { name, trainable: true, scale: scaling.scale, offset: scaling.offset } };
  else out = { class_name: className, config: normaliseLayerConfig(className, entry.config, source) };
  if (graph) {
    const nodes = Array.isArray(entry.inbound_nodes) ? entry.inbound_nodes : [];
    out.name = name;
    if (scaling) {
      // the number was an argument of the operation; the Rescaling holds it, and its call takes none
      const [layer, node, tensor] = scaling.input;
      const index = scaling.keras3 && graph.models.has(layer) ? node + 1 : node;
      out.inbound_nodes = [[[layer, index, tensor, {}]]];
    } else out.inbound_nodes = nodes.map((n) => convertNode(n, { ...graph, layer: name }));
  }
  return out;
}

function normaliseModelEntry(entry: Obj, source: string): Obj {
  const className = String(entry.class_name);
  if (className === 'Sequential' || Array.isArray(entry.config)) {
    const buildShape = isObj(entry.build_config) ? entry.build_config.input_shape : undefined;
    return { class_name: 'Sequential', config: normaliseSequential(entry.config, source, buildShape) };
  }
  if (!isObj(entry.config)) throw problem(source, `model class ${className} has no config`);
  return {
    class_name: className === 'Model' ? 'Model' : 'Functional',
    config: normaliseFunctional(entry.config, source),
  };
}

/** The topology tfjs-layers 4.22 loads, from what a model file holds; `source` names the file in errors. */
export function normaliseTopology(topology: Obj, source: string): Obj {
  let model: unknown = topology;
  const extra: Obj = {};
  if ('model_config' in topology) {
    model = topology.model_config;
    if (typeof model === 'string') {
      try {
        model = JSON.parse(model);
      } catch {
        throw problem(source, 'model_config is not valid JSON');
      }
    }
  }
  for (const key of ['keras_version', 'backend']) if (typeof topology[key] === 'string') extra[key] = topology[key];
  if (!isObj(model) || typeof model.class_name !== 'string')
    throw problem(source, 'the model configuration has no class_name');
  if (!isModelEntry(model))
    throw problem(
      source,
      `the model configuration is a single ${model.class_name} layer, not a Sequential or functional model`,
    );
  for (const key of WRAPPER_KEYS) delete (model as Obj)[key];
  return { ...normaliseModelEntry(model, source), ...extra };
}

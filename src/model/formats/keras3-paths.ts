/**
 * Where Keras 3 keeps each layer's variables in model.weights.h5 (keras/src/saving/saving_lib.py): a model's
 * layers are a container, and a container names each child by its class in snake case, numbered per class in
 * order (`dense`, `dense_1`, `conv2d`, ...), not by the layer's name. A layer's variables are datasets
 * `<path>/vars/0`, `1`, ... in the order trainable-then-non-trainable at creation (Dense: kernel, bias;
 * BatchNormalization: gamma, beta, moving_mean, moving_variance). A nested model's layers live under
 * `<its path>/layers/...`. Sequential.layers leaves out the InputLayer; a functional model's layers include
 * its InputLayers (which have no variables but take a name). Keras 2.13-2.15 wrote
 * `_layer_checkpoint_dependencies` where Keras 3 writes `layers`.
 */

type Obj = Record<string, unknown>;

export interface LayerPath {
  /** Layer names from the top model down to this layer. */
  chain: string[];
  className: string;
  /** `layers/dense_1` (the variables are under `<path>/vars`). */
  path: string;
}

/** keras.src.utils.naming.to_snake_case. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isModel(entry: Obj): boolean {
  return isObj(entry.config) && Array.isArray(entry.config.layers);
}

function layerName(entry: Obj): string {
  return String(entry.name ?? (isObj(entry.config) ? entry.config.name : ''));
}

/** Every leaf layer of a model configuration ({class_name, config}) with its Keras 3 weights path. */
export function keras3LayerPaths(model: Obj, prefix = 'layers', chain: string[] = []): LayerPath[] {
  const config = model.config as Obj;
  let entries = (config.layers as Obj[]).filter(isObj);
  if (model.class_name === 'Sequential' && entries[0]?.class_name === 'InputLayer') entries = entries.slice(1);
  const used = new Map<string, number>();
  const out: LayerPath[] = [];
  for (const entry of entries) {
    const base = toSnakeCase(String(entry.class_name));
    const seen = used.get(base);
    used.set(base, seen === undefined ? 0 : seen + 1);
    const path = `${prefix}/${seen === undefined ? base : `${base}_${seen + 1}`}`;
    const here = [...chain, layerName(entry)];
    if (isModel(entry)) out.push(...keras3LayerPaths(entry, `${path}/layers`, here));
    else out.push({ chain: here, className: String(entry.class_name), path });
  }
  return out;
}

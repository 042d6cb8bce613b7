import { tf, tfl } from '../tf';
import { ArchSpec, Block } from './arch';
import { layerNames } from './build';
import { nameOf } from './keras/layer-factory';
import { unitOutputName } from './units';

/** Name of the layer whose output is a block's output, before its pooling (if any). */
export function blockOutputLayer(block: Block): string {
  return unitOutputName(block);
}

/** The name of the model's input layer: 'input' in the graphs deepend builds, the model's own in an imported chain. */
export function inputLayerName(spec: ArchSpec): string {
  return spec.inputName ?? 'input';
}

/** In a chain, the layer before block `index`: the previous item's last layer, or the input. */
function chainInputLayer(spec: ArchSpec, index: number): string {
  const chain = spec.chain!;
  const at = chain.findIndex((item) => 'block' in item && item.block === spec.blocks[index].name);
  if (at <= 0) return inputLayerName(spec);
  const prev = chain[at - 1];
  if ('layer' in prev) return nameOf(prev.layer);
  const block = spec.blocks.find((b) => b.name === prev.block)!;
  return unitOutputName(block);
}

/** Name of the layer whose output feeds block `index` (h_{m-1} in DILS eq. 7). */
export function blockInputLayer(spec: ArchSpec, index: number): string {
  if (spec.family === 'keras') return chainInputLayer(spec, index);
  if (index === 0) {
    if (spec.family === 'resnet') return 'stem_relu';
    if (spec.family === 'mlp' && spec.inputShape.length > 1) return 'flatten_input';
    return 'input';
  }
  const prev = spec.blocks[index - 1];
  if (prev.kind === 'conv' && prev.poolAfter) return layerNames.conv(prev.name).pool;
  return blockOutputLayer(prev);
}

/** Channels (last axis) entering block `index`; only residual blocks use it, so an imported chain answers 0. */
export function blockInputChannels(spec: ArchSpec, index: number): number {
  if (spec.family === 'keras') return 0;
  if (index === 0) {
    if (spec.family === 'resnet') return spec.stemFilters ?? 16;
    if (spec.family === 'mlp') return spec.inputShape.reduce((a, b) => a * b, 1);
    return spec.inputShape[spec.inputShape.length - 1];
  }
  const prev = spec.blocks[index - 1];
  return prev.kind === 'dense' ? prev.units : prev.filters;
}

/** A model from the same input to the outputs of the named layers (shares the layers and their weights). */
export function tapModel(model: tfl.LayersModel, layerNamesToTap: string[]): tfl.LayersModel {
  const outputs = layerNamesToTap.map((n) => model.getLayer(n).output as tfl.SymbolicTensor);
  return tfl.model({ inputs: model.inputs, outputs });
}

/** Runs `model` in inference mode over `x` in batches and concatenates each tapped output. */
export function computeFeatures(model: tfl.LayersModel, layers: string[], x: tf.Tensor, batchSize = 256): tf.Tensor[] {
  const tap = tapModel(model, layers);
  const parts: tf.Tensor[][] = layers.map(() => []);
  const count = x.shape[0];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const outs = tf.tidy(() => {
      const y = tap.apply(tf.slice(x, start, size), { training: false });
      return Array.isArray(y) ? (y as tf.Tensor[]) : [y as tf.Tensor];
    });
    outs.forEach((t, i) => {
      parts[i].push(t);
    });
  }
  return parts.map((p) => {
    const joined = p.length === 1 ? p[0] : tf.concat(p, 0);
    if (p.length > 1)
      p.forEach((t) => {
        t.dispose();
      });
    return joined;
  });
}

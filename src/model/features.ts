import { tf, tfl } from '../tf';
import { ArchSpec, Block } from './arch';
import { layerNames } from './build';

/** Name of the layer whose output is a block's output, before its pooling (if any). */
export function blockOutputLayer(block: Block): string {
  switch (block.kind) {
    case 'dense':
      return layerNames.dense(block.name).act;
    case 'conv':
      return layerNames.conv(block.name).act;
    case 'res':
      return layerNames.res(block.name).out;
  }
}

/** Name of the layer whose output feeds block `index` (h_{m-1} in DILS eq. 7). */
export function blockInputLayer(spec: ArchSpec, index: number): string {
  if (index === 0) {
    if (spec.family === 'resnet') return 'stem_relu';
    if (spec.family === 'mlp' && spec.inputShape.length > 1) return 'flatten_input';
    return 'input';
  }
  const prev = spec.blocks[index - 1];
  if (prev.kind === 'conv' && prev.poolAfter) return layerNames.conv(prev.name).pool;
  return blockOutputLayer(prev);
}

/** Channels (last axis) entering block `index`. */
export function blockInputChannels(spec: ArchSpec, index: number): number {
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
    outs.forEach((t, i) => parts[i].push(t));
  }
  return parts.map((p) => {
    const joined = p.length === 1 ? p[0] : tf.concat(p, 0);
    if (p.length > 1) p.forEach((t) => t.dispose());
    return joined;
  });
}

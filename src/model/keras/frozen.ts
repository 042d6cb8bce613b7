import { tf, tfl } from '../../tf';
import { artifactsOf, loadArtifacts } from '../formats';
import { outputInModel } from './chain-walk';
import { describeLayer, layerFromDescription } from './layer-factory';

type Sym = tfl.SymbolicTensor;

/** The frozen part of an imported model: from its input to the output of `through` (shares the model's layers). */
export function frozenPart(model: tfl.LayersModel, through: string): tfl.LayersModel {
  return tfl.model({
    inputs: model.inputs,
    outputs: outputInModel(model, model.getLayer(through)),
    name: `${model.name}_frozen`,
  });
}

/**
 * One model again: a copy of the frozen part, then a copy of every layer of
 * the (chain) head with its weights. Nothing is shared with the parent, so
 * either can be disposed alone, and the saved config holds one plain graph
 * that any Keras or TF.js loader reads.
 */
export async function composeWithFrozen(
  frozenPart: tfl.LayersModel,
  head: tfl.LayersModel,
  name: string,
): Promise<tfl.LayersModel> {
  const frozen = await loadArtifacts(await artifactsOf(frozenPart));
  let x = frozen.outputs[0];
  const copies: [tfl.layers.Layer, tfl.layers.Layer][] = [];
  for (const layer of head.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const copy = layerFromDescription(describeLayer(layer));
    x = copy.apply(x) as Sym;
    copies.push([layer, copy]);
  }
  const model = tfl.model({ inputs: frozen.inputs, outputs: x, name });
  for (const [from, to] of copies) {
    const weights = from.getWeights();
    if (weights.length > 0) to.setWeights(weights);
  }
  return model;
}

/** Runs the frozen part over x once, in inference mode and in batches: the features the head trains on. */
export function frozenFeatures(frozen: tfl.LayersModel, x: tf.Tensor, batchSize = 64): tf.Tensor {
  const parts: tf.Tensor[] = [];
  for (let start = 0; start < x.shape[0]; start += batchSize) {
    const size = Math.min(batchSize, x.shape[0] - start);
    parts.push(tf.tidy(() => frozen.apply(tf.slice(x, start, size), { training: false }) as tf.Tensor));
  }
  if (parts.length === 1) return parts[0];
  const joined = tf.concat(parts, 0);
  tf.dispose(parts);
  return joined;
}

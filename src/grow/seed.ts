import { ArchSpec, Block, cloneSpec, depthOf, KerasLayer } from '../model/arch';
import { SITE_CLASSES } from '../model/keras/classes';
import { describeLayer } from '../model/keras/layer-factory';
import { buildGrown, Insertion } from '../model/surgery';
import { tf, tfl } from '../tf';

/**
 * A first hidden layer for a head that has none: features -> [Dropout ...] -> Dense output, as the Keras
 * transfer-learning tutorial ends (a frozen backbone, GlobalAveragePooling2D, Dropout, Dense). Every method
 * inserts after a hidden layer (DILS's block m, eq. 6-7; morphism's owner unit, eq. 8); this gives them one
 * without changing what the model computes, so the depth-0 model is the parent they start from.
 *
 * The seed is Dense(width, relu) with W = I and b = c, where c lifts the smallest feature seen in training to 0,
 * and the output layer takes c back (b' = b - c W_out^T 1): on features >= -c, relu(x + c) = x + c, and the output
 * is W_out^T x + b as before. This is Net2DeeperNet's function-preserving start (Chen et al. 2016, as
 * setIdentityWeights), shifted so that it holds for features that are not non-negative (swish, raw Dense
 * outputs); a backbone that ends in ReLU needs no shift.
 */
export interface SeededHead {
  model: tfl.LayersModel;
  spec: ArchSpec;
  insertion: Insertion;
  /** c: how far the features were lifted (0 after a ReLU backbone). */
  shift: number;
}

/** The chain's output layer (its last Dense or Conv2D), the one item a depth-0 chain has that a seed precedes. */
function outputItemIndex(spec: ArchSpec): number {
  const chain = spec.chain ?? [];
  for (let i = chain.length - 1; i >= 0; i--) {
    const item = chain[i];
    if ('layer' in item && SITE_CLASSES.has(item.layer.className)) return i;
  }
  return -1;
}

/** Why a depth-0 spec cannot take a seed, or undefined when it can: the output must be a Dense on flat features. */
export function seedRefusal(spec: ArchSpec): string | undefined {
  if (depthOf(spec) > 0) return undefined;
  const at = outputItemIndex(spec);
  const item = spec.chain?.[at];
  if (!item || !('layer' in item) || item.layer.className !== 'Dense')
    return `the model has no hidden Dense or Conv2D layer, only its output layer${item && 'layer' in item ? ` (a ${item.layer.className})` : ''}: deepend adds a first hidden layer only before a Dense output`;
  return undefined;
}

/**
 * The widest head deepend seeds: the seed is as wide as the features (to start as the identity), width^2 weights,
 * 16.8M (67 MB, and three times that while Adam trains them) at 4096. MobileNetV2's pooled features are 1280,
 * ResNet50's 2048; a Flatten of VGG16's 7x7x512 maps, 25088, would need 629M.
 */
export const MAX_SEED_WIDTH = 4096;

/** The output layer's input shape (per sample) in `model`, which holds the chain's layers by name. */
function outputInputShape(model: tfl.LayersModel, spec: ArchSpec): { name: string; shape: (number | null)[] } {
  const item = spec.chain![outputItemIndex(spec)] as { layer: KerasLayer };
  const name = String(item.layer.config.name);
  return { name, shape: (model.getLayer(name).input as tfl.SymbolicTensor).shape.slice(1) };
}

/**
 * Why this model's depth-0 head cannot take a seed, or undefined (also for a model with hidden layers): the
 * output is not a Dense, its input is not flat features, or there are more than MAX_SEED_WIDTH of them.
 */
export function seedProblem(model: tfl.LayersModel, spec: ArchSpec): string | undefined {
  const refusal = seedRefusal(spec);
  if (refusal || depthOf(spec) > 0) return refusal;
  const { name, shape } = outputInputShape(model, spec);
  const width = shape[shape.length - 1];
  if (shape.length !== 1 || width === null)
    return `the output layer '${name}' takes [${shape.join(', ')}], not flat features: deepend adds a first hidden layer only before a Dense on flat features`;
  if (width > MAX_SEED_WIDTH)
    return `the output layer '${name}' takes ${width} features: a first hidden layer starts as the identity, so as wide, ${((width * width) / 1e6).toFixed(0)}M weights; deepend adds one before at most ${MAX_SEED_WIDTH} features (pool them first, e.g. GlobalAveragePooling2D instead of Flatten)`;
  return undefined;
}

function seedCore(name: string, width: number): KerasLayer {
  const layer = describeLayer(tfl.layers.dense({ units: width, activation: 'relu', name }));
  layer.config.trainable = true;
  return layer;
}

/** The smallest value the output layer's input takes on `x` (inference mode: Dropout passes through). */
function smallestFeature(head: tfl.LayersModel, outputLayer: tfl.layers.Layer, x: tf.Tensor): number {
  const features = tfl.model({ inputs: head.inputs, outputs: outputLayer.input as tfl.SymbolicTensor });
  let smallest = Number.POSITIVE_INFINITY;
  for (let start = 0; start < x.shape[0]; start += 256) {
    const size = Math.min(256, x.shape[0] - start);
    const min = tf.tidy(() => tf.min(features.predict(tf.slice(x, start, size)) as tf.Tensor).dataSync()[0]);
    smallest = Math.min(smallest, min);
  }
  return smallest;
}

/** The parent with a seed hidden layer before its output layer; `trainX` is the head's training input. */
export function seedHiddenLayer(head: tfl.LayersModel, spec: ArchSpec, trainX: tf.Tensor): SeededHead {
  const problem = seedProblem(head, spec);
  if (problem) throw new Error(problem);
  const at = outputItemIndex(spec);
  const { name: outputName, shape } = outputInputShape(head, spec);
  const outputLayer = head.getLayer(outputName);
  const width = shape[0] as number;

  const hasBias = outputLayer.getWeights().length > 1;
  const smallest = smallestFeature(head, outputLayer, trainX);
  // twice what training showed, so that held-out features a little lower still pass through
  const shift = smallest < 0 ? -2 * smallest : 0;
  if (shift > 0 && !hasBias)
    throw new Error(
      `the output layer '${outputLayer.name}' has no bias to take back the shift a first hidden layer needs (its input goes down to ${smallest.toPrecision(3)})`,
    );

  const grown = cloneSpec(spec);
  const name = `dense_deepend_${grown.nextBlockId++}`;
  const seed: Block = {
    kind: 'dense',
    name,
    units: width,
    activation: 'relu',
    keras: { layers: [seedCore(name, width)] },
  };
  grown.blocks = [seed];
  grown.chain!.splice(at, 0, { block: name });
  const before = at > 0 ? spec.chain![at - 1] : undefined;
  const afterName = before && 'layer' in before ? String(before.layer.config.name) : (spec.inputName ?? 'input');

  const { model } = buildGrown(head, grown);
  try {
    tf.tidy(() => {
      model.getLayer(name).setWeights([tf.eye(width), tf.fill([width], shift)]);
      if (shift === 0) return;
      const out = model.getLayer(outputLayer.name);
      const [kernel, bias, ...rest] = out.getWeights();
      out.setWeights([kernel, tf.sub(bias, tf.mul(shift, tf.sum(kernel, 0))), ...rest]);
    });
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, spec: grown, insertion: { afterIndex: -1, afterBlock: afterName, inserted: name }, shift };
}

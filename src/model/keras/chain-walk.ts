import { DeependError } from '../../util/deepend-error';
import { tfl } from '../../tf';
import { isInferenceIdentity, PASSIVE_CLASSES, SITE_CLASSES, UNIT_FOLLOWER_CLASSES } from './classes';

/** The trainable chain at the end of a model, and where the frozen part ends. */
export interface ChainWalk {
  /** The chain's layers, input side first (the model's InputLayer excluded). */
  chain: tfl.layers.Layer[];
  /** The last layer of the frozen part (its output feeds the chain), or undefined when the chain starts at the input. */
  frozenThrough?: tfl.layers.Layer;
  /** Its output where the model calls it (a nested model's own `.output` is ill-defined). */
  frozenOutput?: tfl.SymbolicTensor;
  /** Why the frozen part ends where it does, for inspect. */
  frozenReason?: string;
}

type Node = { inputTensors: tfl.SymbolicTensor[] };

/**
 * Met walking back from the output, the first layer deepend cannot grow
 * through is the latest one: freezing through it leaves the longest chain.
 */
function checkGrowable(layer: tfl.layers.Layer, source: string): void {
  const className = layer.getClassName();
  const known = SITE_CLASSES.has(className) || UNIT_FOLLOWER_CLASSES.has(className) || PASSIVE_CLASSES.has(className);
  if (!known) {
    throw new DeependError(
      'model',
      `${source}: layer '${layer.name}' (${className}) cannot be grown: deepend grows chains of Dense and Conv2D units; freeze it and what comes before with --freeze-through ${layer.name}`,
    );
  }
  if (className === 'Conv2D' && layer.getConfig().dataFormat === 'channelsFirst') {
    throw new Error(
      `${source}: layer '${layer.name}' (Conv2D) is channels-first; deepend grows channels-last convolutions only`,
    );
  }
}

/**
 * The output of `layer` where `model` calls it, found walking the graph back from the model's output. A nested model
 * (a pretrained backbone called as a layer) has a node of its own besides the call, so its `.output` is ill-defined
 * in TF.js.
 */
export function outputInModel(model: tfl.LayersModel, layer: tfl.layers.Layer): tfl.SymbolicTensor {
  const seen = new Set<tfl.SymbolicTensor>();
  const pending = [...model.outputs];
  for (let tensor = pending.pop(); tensor !== undefined; tensor = pending.pop()) {
    if (seen.has(tensor)) continue;
    seen.add(tensor);
    if (tensor.sourceLayer === layer) return tensor;
    const node = tensor.sourceLayer.inboundNodes[tensor.nodeIndex] as unknown as Node;
    pending.push(...node.inputTensors);
  }
  throw new Error(`layer '${layer.name}' is not on the path from ${model.name}'s input to its output`);
}

function isNestedModel(layer: tfl.layers.Layer): boolean {
  return layer instanceof tfl.LayersModel;
}

/** Layers of `model` that take this layer's output (shared layers count once per use). */
function consumers(model: tfl.LayersModel, layer: tfl.layers.Layer): number {
  const members = new Set(model.layers);
  return layer.outboundNodes.filter((n) => members.has(n.outboundLayer as tfl.layers.Layer)).length;
}

/**
 * Walks from the model's output back towards its input while every layer has
 * one input that nothing else consumes. The walk stops at the frozen part: a
 * layer with trainable false, a nested model (a pretrained backbone), or the
 * layer named by --freeze-through. A join of branches (Add, Concatenate, ...)
 * met before that is refused with a hint, since only a chain can be grown.
 */
export function walkChain(model: tfl.LayersModel, freezeThrough?: string, source = 'the model'): ChainWalk {
  if (model.outputs.length !== 1 || model.inputs.length !== 1) {
    throw new Error(
      `${source}: has ${model.inputs.length} inputs and ${model.outputs.length} outputs; deepend grows models with one input and one output`,
    );
  }
  if (freezeThrough !== undefined && !model.layers.some((l) => l.name === freezeThrough)) {
    throw new Error(`${source}: --freeze-through names no layer '${freezeThrough}'`);
  }
  const chain: tfl.layers.Layer[] = [];
  let tensor = model.outputs[0];
  for (;;) {
    const layer = tensor.sourceLayer as tfl.layers.Layer;
    if (layer.getClassName() === 'InputLayer') return { chain: chain.reverse() };
    const stop = whyFrozen(layer, freezeThrough);
    if (stop) return { chain: chain.reverse(), frozenThrough: layer, frozenOutput: tensor, frozenReason: stop };
    const node = layer.inboundNodes[tensor.nodeIndex] as unknown as Node;
    if (node.inputTensors.length !== 1) {
      const below = chain.length > 0 ? chain[chain.length - 1].name : layer.name;
      throw new Error(
        `${source}: layer '${layer.name}' (${layer.getClassName()}) joins ${node.inputTensors.length} branches; only a chain of layers can be grown: freeze the graph with --freeze-through ${layer.name}${below !== layer.name ? ` (the chain after it starts at '${below}')` : ''}`,
      );
    }
    if (chain.length > 0 && consumers(model, layer) > 1) {
      throw new Error(
        `${source}: the output of layer '${layer.name}' (${layer.getClassName()}) feeds ${consumers(model, layer)} layers; only a chain can be grown: freeze the graph with --freeze-through ${layer.name}`,
      );
    }
    checkGrowable(layer, source);
    chain.push(layer);
    tensor = node.inputTensors[0];
  }
}

/** Why the walk stops at this layer (it and all below it stay frozen), or undefined to walk on. */
function whyFrozen(layer: tfl.layers.Layer, freezeThrough: string | undefined): string | undefined {
  if (layer.name === freezeThrough) return `--freeze-through ${freezeThrough}`;
  if (isNestedModel(layer))
    return isInferenceIdentity(layer)
      ? `${layer.name} is a nested model that passes its input through at inference (augmentation, dropout)`
      : `${layer.name} is a nested model (a pretrained part)`;
  if (!layer.trainable) return `${layer.name} has trainable: false`;
  return undefined;
}

/**
 * The layer that feeds the output layer (the last Dense or Conv2D, walking back over the layers that follow it),
 * or undefined when there is none to freeze through: what `deepend eval` freezes a model through that cannot grow
 * as it is, so that its answers can still be measured.
 */
export function layerFeedingOutput(model: tfl.LayersModel): string | undefined {
  if (model.outputs.length !== 1) return undefined;
  let tensor = model.outputs[0];
  for (;;) {
    const layer = tensor.sourceLayer as tfl.layers.Layer;
    const node = layer.inboundNodes[tensor.nodeIndex] as unknown as Node;
    if (layer.getClassName() === 'InputLayer' || node.inputTensors.length !== 1) return undefined;
    const below = node.inputTensors[0];
    if (SITE_CLASSES.has(layer.getClassName())) {
      const feeding = below.sourceLayer as tfl.layers.Layer;
      return feeding.getClassName() === 'InputLayer' ? undefined : feeding.name;
    }
    tensor = below;
  }
}

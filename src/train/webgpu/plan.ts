import type { tfl } from '../../tf';
import type { OutputKind } from '../../model/arch';

/** One dense layer as the WebGPU trainer runs it: y = x W + b, then ReLU when `relu`. */
export interface DenseLayerPlan {
  /** The tfjs-layers Dense layer whose kernel (and bias) these are. */
  name: string;
  inputs: number;
  units: number;
  bias: boolean;
  relu: boolean;
}

/** A classifier made of dense layers, the last one giving the class scores. */
export interface DensePlan {
  inputSize: number;
  layers: DenseLayerPlan[];
  classes: number;
  /** 'softmax': the last layer ends in a softmax (loss on probabilities, as classifier.ts); 'logits': raw scores. */
  output: 'softmax' | 'logits';
}

/** A model the WebGPU trainer cannot run yet; the message names the layer, and the caller trains on wasm. */
export class UnsupportedModelError extends Error {
  override name = 'UnsupportedModelError';
}

interface LayerConfig {
  activation?: string;
  useBias?: boolean;
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
}

function config(layer: tfl.layers.Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

function isPlainRelu(layer: tfl.layers.Layer): boolean {
  const c = config(layer);
  if (layer.getClassName() === 'ReLU') return (c.maxValue ?? null) === null && !c.negativeSlope && !c.threshold;
  return layer.getClassName() === 'Activation' && c.activation === 'relu';
}

/**
 * The dense plan of a sequential chain: InputLayer, Flatten (a no-op on
 * row-major data), Dense (linear or relu; softmax or linear on the last),
 * ReLU after a linear Dense. Anything else (conv, pooling, BatchNorm, PReLU,
 * Dropout, branches) throws UnsupportedModelError naming the layer.
 */
export function densePlanOf(model: tfl.LayersModel, output: OutputKind = 'softmax'): DensePlan {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UnsupportedModelError('the WebGPU trainer takes one input and one output');
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((d) => d === null)) throw new UnsupportedModelError('the input shape is not fully known');
  const inputSize = (inputShape as number[]).reduce((a, b) => a * b, 1);
  const layers: DenseLayerPlan[] = [];
  let width = inputSize;
  let softmaxEnd = false;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (layer.inboundNodes.some((n) => n.inboundLayers.length > 1))
      throw new UnsupportedModelError(`layer '${layer.name}' (${kind}) joins branches`);
    if (softmaxEnd) throw new UnsupportedModelError(`layer '${layer.name}' (${kind}) follows the softmax`);
    if (kind === 'InputLayer' || kind === 'Flatten') continue;
    if (kind === 'Dense') {
      const c = config(layer);
      const activation = c.activation ?? 'linear';
      if (!['linear', 'relu', 'softmax'].includes(activation))
        throw new UnsupportedModelError(`layer '${layer.name}' (Dense) has activation ${activation}`);
      const units = (layer as unknown as { units: number }).units;
      layers.push({ name: layer.name, inputs: width, units, bias: c.useBias !== false, relu: activation === 'relu' });
      width = units;
      softmaxEnd = activation === 'softmax';
      continue;
    }
    const last = layers.at(-1);
    if (isPlainRelu(layer) && last && !last.relu) {
      last.relu = true;
      continue;
    }
    throw new UnsupportedModelError(`layer '${layer.name}' (${kind}) has no WebGPU kernels yet`);
  }
  const head = layers.at(-1);
  if (!head || head.relu)
    throw new UnsupportedModelError('the model does not end in a Dense layer giving class scores');
  if (softmaxEnd !== (output === 'softmax'))
    throw new UnsupportedModelError(
      softmaxEnd
        ? `the model ends in a softmax but its output is declared ${output}`
        : `output ${output}: the WebGPU trainer takes softmax or logits classifiers`,
    );
  return { inputSize, layers, classes: head.units, output: softmaxEnd ? 'softmax' : 'logits' };
}

import type { tfl } from '../../tf';
import type { OutputKind } from '../../model/arch';
import { ConvGeometry, convGeometry } from './wgsl/conv';
import { PoolGeometry, poolGeometry } from './wgsl/pool';

/** y = x W + b, then ReLU when `relu`. */
export interface DenseLayerPlan {
  kind: 'dense';
  /** The tfjs-layers layer whose kernel (and bias) these are. */
  name: string;
  inputs: number;
  units: number;
  bias: boolean;
  relu: boolean;
}

/** NHWC Conv2D (filter [KH, KW, C, CO]), then ReLU when `relu`. */
export interface ConvLayerPlan {
  kind: 'conv';
  name: string;
  geometry: ConvGeometry;
  bias: boolean;
  relu: boolean;
}

/** Non-overlapping max pooling (window = stride, 'valid'). */
export interface PoolLayerPlan {
  kind: 'maxpool';
  name: string;
  geometry: PoolGeometry;
}

export type LayerPlan = DenseLayerPlan | ConvLayerPlan | PoolLayerPlan;

/** A classifier as the WebGPU trainer runs it: a chain of layers, the last a Dense giving the class scores. */
export interface TrainPlan {
  /** Values per sample (the input shape flattened, NHWC order). */
  inputSize: number;
  layers: LayerPlan[];
  classes: number;
  /** 'softmax': the last layer ends in a softmax (loss on probabilities, as classifier.ts); 'logits': raw scores. */
  output: 'softmax' | 'logits';
}

/** Values per sample a layer reads and writes. */
export function layerSizes(l: LayerPlan): { in: number; out: number } {
  if (l.kind === 'dense') return { in: l.inputs, out: l.units };
  if (l.kind === 'conv') {
    const g = l.geometry;
    return { in: g.H * g.W * g.C, out: g.OH * g.OW * g.CO };
  }
  const g = l.geometry;
  return { in: g.H * g.W * g.C, out: g.OH * g.OW * g.C };
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
  kernelSize?: number[];
  strides?: number[];
  padding?: string;
  dilationRate?: number[];
  dataFormat?: string;
  poolSize?: number[];
  filters?: number;
}

function config(layer: tfl.layers.Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

function isPlainRelu(layer: tfl.layers.Layer): boolean {
  const c = config(layer);
  if (layer.getClassName() === 'ReLU') return (c.maxValue ?? null) === null && !c.negativeSlope && !c.threshold;
  return layer.getClassName() === 'Activation' && c.activation === 'relu';
}

function refuse(layer: tfl.layers.Layer, why: string): never {
  throw new UnsupportedModelError(`layer '${layer.name}' (${layer.getClassName()}) ${why}`);
}

function activationOf(layer: tfl.layers.Layer, allowed: string[]): string {
  const activation = config(layer).activation ?? 'linear';
  if (!allowed.includes(activation)) refuse(layer, `has activation ${activation}`);
  return activation;
}

function convPlan(layer: tfl.layers.Layer, shape: number[]): ConvLayerPlan {
  const c = config(layer);
  if (shape.length !== 3) refuse(layer, `takes a ${shape.length}-D input`);
  if (c.dataFormat !== undefined && c.dataFormat !== 'channelsLast') refuse(layer, `is ${c.dataFormat}`);
  if ((c.dilationRate ?? [1, 1]).some((d) => d !== 1)) refuse(layer, 'is dilated');
  const [sy, sx] = c.strides ?? [1, 1];
  if (sy !== sx) refuse(layer, `has unequal strides ${sy}x${sx}`);
  if (c.padding !== 'same' && c.padding !== 'valid') refuse(layer, `has padding ${c.padding}`);
  const [KH, KW] = c.kernelSize as [number, number];
  const relu = activationOf(layer, ['linear', 'relu']) === 'relu';
  const geometry = convGeometry(shape as [number, number, number], c.filters!, [KH, KW], sy, c.padding);
  return { kind: 'conv', name: layer.name, geometry, bias: c.useBias !== false, relu };
}

function poolPlan(layer: tfl.layers.Layer, shape: number[]): PoolLayerPlan {
  const c = config(layer);
  if (shape.length !== 3) refuse(layer, `takes a ${shape.length}-D input`);
  const [py, px] = c.poolSize ?? [2, 2];
  const [sy, sx] = c.strides ?? [py, px];
  if (py !== px || sy !== py || sx !== px || c.padding !== 'valid')
    refuse(layer, 'is not a square window with stride = window and valid padding');
  return { kind: 'maxpool', name: layer.name, geometry: poolGeometry(shape as [number, number, number], py) };
}

function outShape(l: LayerPlan): number[] {
  if (l.kind === 'dense') return [l.units];
  if (l.kind === 'conv') return [l.geometry.OH, l.geometry.OW, l.geometry.CO];
  return [l.geometry.OH, l.geometry.OW, l.geometry.C];
}

/**
 * The plan of a sequential chain: InputLayer, Flatten (a no-op on row-major
 * NHWC data), Dense (linear or relu; softmax or linear on the last), Conv2D
 * (NHWC, linear or relu, same/valid, equal strides), MaxPooling2D (window =
 * stride, valid), and a plain ReLU after a linear Dense or Conv2D. Anything
 * else (BatchNorm, PReLU, Dropout, average pooling, branches) throws
 * UnsupportedModelError naming the layer.
 */
export function planOf(model: tfl.LayersModel, output: OutputKind = 'softmax'): TrainPlan {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new UnsupportedModelError('the WebGPU trainer takes one input and one output');
  const inputShape = model.inputs[0].shape.slice(1);
  if (inputShape.some((d) => d === null)) throw new UnsupportedModelError('the input shape is not fully known');
  let shape = inputShape as number[];
  const inputSize = shape.reduce((a, b) => a * b, 1);
  const layers: LayerPlan[] = [];
  let softmaxEnd = false;
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    if (layer.inboundNodes.some((n) => n.inboundLayers.length > 1)) refuse(layer, 'joins branches');
    if (softmaxEnd) refuse(layer, 'follows the softmax');
    if (kind === 'InputLayer') continue;
    if (kind === 'Flatten') {
      shape = [shape.reduce((a, b) => a * b, 1)];
      continue;
    }
    let planned: LayerPlan | undefined;
    if (kind === 'Dense') {
      if (shape.length !== 1) refuse(layer, `takes a ${shape.length}-D input (Flatten first)`);
      const activation = activationOf(layer, ['linear', 'relu', 'softmax']);
      const units = (layer as unknown as { units: number }).units;
      const bias = config(layer).useBias !== false;
      planned = { kind: 'dense', name: layer.name, inputs: shape[0], units, bias, relu: activation === 'relu' };
      softmaxEnd = activation === 'softmax';
    } else if (kind === 'Conv2D') planned = convPlan(layer, shape);
    else if (kind === 'MaxPooling2D') planned = poolPlan(layer, shape);
    else {
      const last = layers.at(-1);
      if (isPlainRelu(layer) && last && last.kind !== 'maxpool' && !last.relu) {
        last.relu = true;
        continue;
      }
      refuse(layer, 'has no WebGPU kernels yet');
    }
    layers.push(planned);
    shape = outShape(planned);
  }
  const head = layers.at(-1);
  if (!head || head.kind !== 'dense' || head.relu)
    throw new UnsupportedModelError('the model does not end in a Dense layer giving class scores');
  if (head.units < 2)
    throw new UnsupportedModelError(
      'its output is one unit for two classes; the WebGPU trainer takes one score per class',
    );
  if (softmaxEnd !== (output === 'softmax'))
    throw new UnsupportedModelError(
      softmaxEnd
        ? `the model ends in a softmax but its output is declared ${output}`
        : `output ${output}: the WebGPU trainer takes softmax or logits classifiers`,
    );
  return { inputSize, layers, classes: head.units, output: softmaxEnd ? 'softmax' : 'logits' };
}

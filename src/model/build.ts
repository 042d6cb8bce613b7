import { tf, tfl } from '../tf';
import { ArchSpec, Block, BlockActivation, ConvBlock, DenseBlock, ResBlock } from './arch';
import { ScaledAdd } from './scaled-add';
import { applyKerasUnit, buildChain } from './keras/build-chain';

type Sym = tfl.SymbolicTensor;

/** Layer names of a block, in order; weights are copied between models by these names. */
export const layerNames = {
  dense: (b: string) => ({ dense: `${b}_dense`, act: `${b}_act` }),
  conv: (b: string) => ({ conv: `${b}_conv`, bn: `${b}_bn`, act: `${b}_act`, pool: `${b}_pool` }),
  res: (b: string) => ({
    conv1: `${b}_conv1`,
    bn1: `${b}_bn1`,
    relu1: `${b}_relu1`,
    conv2: `${b}_conv2`,
    bn2: `${b}_bn2`,
    proj: `${b}_proj`,
    add: `${b}_add`,
    out: `${b}_out`,
  }),
};

// Seed for the He-normal initialisers while buildModel runs with a seed; each
// layer takes the next value so a seeded build is reproducible. Builds are synchronous.
let initSeed: number | undefined;

function heNormal(): ReturnType<typeof tfl.initializers.heNormal> | 'heNormal' {
  if (initSeed === undefined) return 'heNormal';
  return tfl.initializers.heNormal({ seed: initSeed++ });
}

function activation(kind: BlockActivation, name: string, isConv: boolean): tfl.layers.Layer {
  if (kind === 'relu') return tfl.layers.reLU({ name });
  if (kind !== 'prelu') throw new Error(`deepend builds relu or prelu blocks, not ${kind}`);
  return tfl.layers.prelu({ name, alphaInitializer: 'ones', sharedAxes: isConv ? [1, 2] : undefined });
}

function denseBlock(x: Sym, b: DenseBlock): Sym {
  const n = layerNames.dense(b.name);
  const y = tfl.layers.dense({ units: b.units, name: n.dense, kernelInitializer: heNormal() }).apply(x) as Sym;
  return activation(b.activation, n.act, false).apply(y) as Sym;
}

function convBlock(x: Sym, b: ConvBlock): Sym {
  const n = layerNames.conv(b.name);
  let y = tfl.layers
    .conv2d({
      filters: b.filters,
      kernelSize: b.kernel,
      padding: 'same',
      name: n.conv,
      kernelInitializer: heNormal(),
      useBias: !b.batchNorm,
    })
    .apply(x) as Sym;
  if (b.batchNorm) y = tfl.layers.batchNormalization({ name: n.bn }).apply(y) as Sym;
  y = activation(b.activation, n.act, true).apply(y) as Sym;
  if (b.poolAfter) y = tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, name: n.pool }).apply(y) as Sym;
  return y;
}

function resBlock(x: Sym, b: ResBlock, inChannels: number): Sym {
  const n = layerNames.res(b.name);
  const conv = (name: string, stride: number) =>
    tfl.layers.conv2d({
      filters: b.filters,
      kernelSize: 3,
      strides: stride,
      padding: 'same',
      useBias: false,
      name,
      kernelInitializer: heNormal(),
    });
  let y = conv(n.conv1, b.stride).apply(x) as Sym;
  y = tfl.layers.batchNormalization({ name: n.bn1 }).apply(y) as Sym;
  y = tfl.layers.reLU({ name: n.relu1 }).apply(y) as Sym;
  y = conv(n.conv2, 1).apply(y) as Sym;
  y = tfl.layers.batchNormalization({ name: n.bn2 }).apply(y) as Sym;
  const projects = b.stride !== 1 || inChannels !== b.filters;
  const shortcut = projects
    ? (tfl.layers
        .conv2d({ filters: b.filters, kernelSize: 1, strides: b.stride, padding: 'same', useBias: false, name: n.proj })
        .apply(x) as Sym)
    : x;
  const sum = new ScaledAdd({ ratio: projects ? 1 : b.residualRatio, name: n.add }).apply([shortcut, y]) as Sym;
  return tfl.layers.reLU({ name: n.out }).apply(sum) as Sym;
}

/** Applies one block's layers to a symbolic tensor (also used to build local sub-networks). */
export function applyBlock(x: Sym, b: Block, inChannels: number): Sym {
  if (b.kind !== 'res' && b.keras) return applyKerasUnit(x, b);
  switch (b.kind) {
    case 'dense':
      return denseBlock(x, b);
    case 'conv':
      return convBlock(x, b);
    case 'res':
      return resBlock(x, b, inChannels);
  }
}

/** Builds the TF.js graph for a spec; weights are freshly initialised (He normal), reproducibly when seeded. */
export function buildModel(spec: ArchSpec, seed?: number): tfl.LayersModel {
  initSeed = seed;
  try {
    return buildGraph(spec);
  } finally {
    initSeed = undefined;
  }
}

function buildGraph(spec: ArchSpec): tfl.LayersModel {
  if (spec.family === 'keras') return buildChain(spec);
  const input = tfl.input({ shape: spec.inputShape, name: 'input' });
  let x: Sym = input;
  let channels = spec.inputShape[spec.inputShape.length - 1];
  if (spec.family === 'mlp' && spec.inputShape.length > 1) {
    x = tfl.layers.flatten({ name: 'flatten_input' }).apply(x) as Sym;
  }
  if (spec.family === 'resnet') {
    const stem = spec.stemFilters ?? 16;
    x = tfl.layers
      .conv2d({
        filters: stem,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        name: 'stem_conv',
        kernelInitializer: heNormal(),
      })
      .apply(x) as Sym;
    x = tfl.layers.batchNormalization({ name: 'stem_bn' }).apply(x) as Sym;
    x = tfl.layers.reLU({ name: 'stem_relu' }).apply(x) as Sym;
    channels = stem;
  }
  for (const b of spec.blocks) {
    x = applyBlock(x, b, channels);
    channels = b.kind === 'dense' ? b.units : b.filters;
  }
  if (spec.family === 'conv') x = tfl.layers.flatten({ name: 'flatten' }).apply(x) as Sym;
  if (spec.family === 'resnet') x = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as Sym;
  const out = tfl.layers
    .dense({
      units: spec.classes,
      activation: spec.output === 'linear' ? 'linear' : 'softmax',
      name: 'head',
      kernelInitializer: heNormal(),
    })
    .apply(x) as Sym;
  return tfl.model({ inputs: input, outputs: out, name: `deepend_${spec.family}` });
}

/** Copies every weight of `from` into `to` where a layer of the same name has weights of the same shapes. Returns the names copied. */
export function copyWeightsByName(from: tfl.LayersModel, to: tfl.LayersModel): string[] {
  const copied: string[] = [];
  for (const target of to.layers) {
    const targetWeights = target.getWeights();
    if (targetWeights.length === 0) continue;
    let source: tfl.layers.Layer;
    try {
      source = from.getLayer(target.name);
    } catch {
      continue;
    }
    const sourceWeights = source.getWeights();
    const fits =
      sourceWeights.length === targetWeights.length &&
      sourceWeights.every((w, i) => tf.util.arraysEqual(w.shape, targetWeights[i].shape));
    if (!fits) continue;
    target.setWeights(sourceWeights);
    copied.push(target.name);
  }
  return copied;
}

export function countParameters(model: tfl.LayersModel): number {
  return model.countParams();
}

import { tf } from '../../tf';
import { convGeometry, ConvGeometry } from './conv-geometry';
import { paddedInput } from './padded-input';
import { POSITIONS_PER_PASS } from './simd/conv-taps';
import { SimdKernels } from './simd/module';
import { conv2d, Pads, upstream } from './upstream';
import { addr, asWasm, simd, WasmBackend } from './wasm-backend';

/**
 * Up to this many filter rows (kh * kw * inC) a convolution runs as our SIMD loops (convTaps) rather than as
 * XNNPACK's, which builds its operator and packs the filter again for every new filter, as every training step
 * brings. Measured on one core, batches of 64, a fresh filter each call, direct against XNNPACK: 3x3 on 1 channel
 * to 16, 28x28: 0.54 ms against 0.9-1.2; 3x3x16 to 32, 14x14: 2.8 against 3.2; 3x3x32 to 32, 14x14: 5.6 against
 * 6.2-8.2; 7x7: 1.4 against 1.7 (the zero-padded copy of the input, about 0.2 ms there, not counted).
 */
export const MAX_DIRECT_CONV_ROWS = 576;

/** Whether convolveDirect takes this convolution. */
export function directConvolution(g: ConvGeometry): boolean {
  return g.outC % 4 === 0 && g.outW >= POSITIONS_PER_PASS && g.kh * g.kw * g.inC <= MAX_DIRECT_CONV_ROWS;
}

/** What follows the sums in the same pass: a bias per output channel ([outC]) and ReLU. */
export interface Epilogue {
  bias?: tf.TensorInfo;
  relu?: boolean;
}

/**
 * out = x convolved with filter [kh, kw, inC, outC], NHWC, dilation 1, as g says, plus the epilogue's bias, through
 * its ReLU; four positions by eight channels a pass.
 */
export function convolveDirect(
  backend: WasmBackend,
  kernels: SimdKernels,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  epilogue: Epilogue = {},
): tf.TensorInfo {
  const input = paddedInput(backend, kernels, x, g);
  const out = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], 'float32');
  const pixelBytes = g.inC * 4;
  const outPixelBytes = g.outC * 4;
  for (let co = 0; co < g.outC; co += 8) {
    const loop = co + 8 <= g.outC ? kernels.convTaps2 : kernels.convTaps1;
    loop(
      addr(backend, input.data),
      addr(backend, filter) + co * 4,
      addr(backend, out) + co * 4,
      g.batch,
      g.outH,
      g.outW,
      input.height * input.width * pixelBytes,
      g.sh * input.width * pixelBytes,
      g.sw * pixelBytes,
      g.kh,
      g.kw,
      g.inC,
      input.width * pixelBytes,
      outPixelBytes,
      epilogue.bias ? addr(backend, epilogue.bias) + co * 4 : 0,
      epilogue.relu ? 1 : 0,
    );
  }
  input.release();
  return out;
}

/** A stride-1 convolution with explicit padding: ours where directConvolution says so, else XNNPACK's. */
export function convolve(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, pads: Pads): tf.TensorInfo {
  const explicit: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [pads.top, pads.bottom],
    [pads.left, pads.right],
    [0, 0],
  ];
  const g = convGeometry(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    1,
    explicit,
    undefined,
    'NHWC',
  );
  const kernels = simd(backend);
  return kernels && directConvolution(g)
    ? convolveDirect(backend, kernels, x, filter, g)
    : conv2d(backend, x, filter, pads);
}

/** The geometry of a Conv2D or FusedConv2D our loops take (NHWC, dilation 1, within directConvolution), or undefined. */
function directGeometry(
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.Conv2DAttrs | tf.FusedConv2DAttrs,
): ConvGeometry | undefined {
  if (attrs.dataFormat !== 'NHWC' || [attrs.dilations].flat().some((d) => d !== 1)) return undefined;
  const g = convGeometry(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.dataFormat,
  );
  return directConvolution(g) ? g : undefined;
}

function conv2D(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, filter } = args.inputs as unknown as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const kernels = simd(backend);
  const g = kernels && directGeometry(x, filter, args.attrs as unknown as tf.Conv2DAttrs);
  return kernels && g ? convolveDirect(backend, kernels, x, filter, g) : upstream(tf.Conv2D)(args);
}

/** Inference's convolution (tfjs-layers' Conv2D with a bias): ours with a [outC] bias and a linear or ReLU output. */
function fusedConv2D(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, filter, bias, preluActivationWeights } = args.inputs as unknown as {
    x: tf.TensorInfo;
    filter: tf.TensorInfo;
    bias?: tf.TensorInfo;
    preluActivationWeights?: tf.TensorInfo;
  };
  const attrs = args.attrs as unknown as tf.FusedConv2DAttrs;
  const kernels = simd(backend);
  const activation = attrs.activation ?? 'linear';
  const plainBias = !bias || tf.util.sizeFromShape(bias.shape) === filter.shape[3];
  const ours = plainBias && !preluActivationWeights && (activation === 'linear' || activation === 'relu');
  const g = kernels && ours && directGeometry(x, filter, attrs);
  return kernels && g
    ? convolveDirect(backend, kernels, x, filter, g, { bias, relu: activation === 'relu' })
    : upstream(tf.FusedConv2D)(args);
}

export const fusedConv2DConfig: tf.KernelConfig = {
  kernelName: tf.FusedConv2D,
  backendName: 'wasm',
  kernelFunc: fusedConv2D as unknown as tf.KernelFunc,
};

export const conv2DConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'wasm',
  kernelFunc: conv2D as unknown as tf.KernelFunc,
};

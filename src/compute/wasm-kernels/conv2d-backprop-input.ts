import { tf } from '../../tf';
import { convGeometry, ConvGeometry } from './conv-geometry';
import { conv2d, upstream } from './upstream';
import { asWasm, f32, release, WasmBackend } from './wasm-backend';

/** Wf[a, b, co, ci] = W[kh-1-a, kw-1-b, ci, co]: the filter that maps dY back onto X. */
function flippedFilter(backend: WasmBackend, filter: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const out = backend.makeOutput([g.kh, g.kw, g.outC, g.inC], 'float32');
  const w = f32(backend, filter);
  const wf = f32(backend, out);
  const ci = g.inC;
  const co = g.outC;
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) {
      const src = ((g.kh - 1 - a) * g.kw + (g.kw - 1 - b)) * ci * co;
      const dst = (a * g.kw + b) * co * ci;
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) wf[dst + o * ci + c] = w[src + c * co + o];
      }
    }
  }
  return out;
}

/** dY with stride-1 zeros between its pixels, so a stride-s gradient becomes a stride-1 convolution. */
function dilated(backend: WasmBackend, dy: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const dh = (g.outH - 1) * g.sh + 1;
  const dw = (g.outW - 1) * g.sw + 1;
  const out = backend.makeOutput([g.batch, dh, dw, g.outC], 'float32');
  const src = f32(backend, dy);
  const dst = f32(backend, out);
  dst.fill(0);
  const co = g.outC;
  let s = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let y = 0; y < g.outH; y++) {
      let d = ((n * dh + y * g.sh) * dw) * co;
      for (let x = 0; x < g.outW; x++) {
        for (let o = 0; o < co; o++) dst[d + o] = src[s + o];
        s += co;
        d += g.sw * co;
      }
    }
  }
  return out;
}

/**
 * dX is the convolution of dY (zero-dilated by the stride) with the flipped,
 * transposed filter, padded so the output lands on X's grid; XNNPACK runs it.
 */
export function backpropInputByConv(backend: WasmBackend, dy: tf.TensorInfo, filter: tf.TensorInfo, g: ConvGeometry): tf.TensorInfo {
  const wf = flippedFilter(backend, filter, g);
  const strided = g.sh > 1 || g.sw > 1;
  const src = strided ? dilated(backend, dy, g) : dy;
  const pads = {
    top: g.kh - 1 - g.padTop,
    left: g.kw - 1 - g.padLeft,
    bottom: g.inH + g.padTop - 1 - (g.outH - 1) * g.sh,
    right: g.inW + g.padLeft - 1 - (g.outW - 1) * g.sw,
  };
  const dx = conv2d(backend, src, wf, pads);
  release(backend, wf);
  if (strided) release(backend, src);
  return dx;
}

function conv2DBackpropInput(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, filter } = args.inputs as unknown as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (attrs.dataFormat !== 'NHWC') return upstream(tf.Conv2DBackpropInput)(args);
  const g = convGeometry(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.dataFormat,
  );
  // Padding wider than the kernel would need negative padding here; rare enough to leave upstream.
  if (g.kh - 1 - g.padTop < 0 || g.kw - 1 - g.padLeft < 0) return upstream(tf.Conv2DBackpropInput)(args);
  if (g.inH + g.padTop - 1 - (g.outH - 1) * g.sh < 0 || g.inW + g.padLeft - 1 - (g.outW - 1) * g.sw < 0) {
    return upstream(tf.Conv2DBackpropInput)(args);
  }
  return backpropInputByConv(backend, dy, filter, g);
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};

import { tf } from '../../tf';
import { convGeometry, ConvGeometry } from './conv-geometry';
import { convolve } from './conv2d';
import { upstream } from './upstream';
import { addr, asWasm, f32, release, simd, WasmBackend } from './wasm-backend';

/**
 * One phase of one axis. With stride s, the dX rows i with (i + pad) % s == r
 * only ever meet the filter taps a = r, r+s, r+2s, ...: dX restricted to them
 * is a stride-1 convolution of dY (not dilated) with those taps, reversed.
 */
interface AxisPhase {
  /** Filter indices in convolution order. Empty: these dX rows get no gradient. */
  taps: number[];
  /** How many dX rows the phase covers, and the first one. */
  count: number;
  first: number;
  padBefore: number;
  padAfter: number;
  /** Rows the convolution outputs (>= count; the rest is discarded). */
  outLength: number;
}

function axisPhases(inLength: number, outLength: number, stride: number, pad: number, kernel: number): AxisPhase[] {
  const phases: AxisPhase[] = [];
  for (let r = 0; r < stride; r++) {
    const tapCount = r < kernel ? Math.ceil((kernel - r) / stride) : 0;
    const m0 = Math.ceil((pad - r) / stride);
    const count = Math.floor((inLength - 1 + pad - r) / stride) - m0 + 1;
    if (count <= 0) continue;
    const taps = Array.from({ length: tapCount }, (_, t) => r + stride * (tapCount - 1 - t));
    const padBefore = tapCount - 1 - m0;
    const padAfter = Math.max(0, count - outLength + tapCount - 1 - padBefore);
    phases.push({
      taps,
      count,
      first: m0 * stride + r - pad,
      padBefore,
      padAfter,
      outLength: outLength + padBefore + padAfter - tapCount + 1,
    });
  }
  return phases;
}

/** F[ty, tx, co, ci] = W[rows[ty], cols[tx], ci, co]: the phase's taps, transposed to map dY back onto X. */
function phaseFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  g: ConvGeometry,
  rows: number[],
  cols: number[],
): tf.TensorInfo {
  const out = backend.makeOutput([rows.length, cols.length, g.outC, g.inC], 'float32');
  const w = f32(backend, filter);
  const f = f32(backend, out);
  const ci = g.inC;
  const co = g.outC;
  let dst = 0;
  for (const a of rows) {
    for (const b of cols) {
      const src = (a * g.kw + b) * ci * co;
      for (let o = 0; o < co; o++) {
        for (let c = 0; c < ci; c++) f[dst + o * ci + c] = w[src + c * co + o];
      }
      dst += ci * co;
    }
  }
  return out;
}

/**
 * dX as stride-1 convolutions of dY (src/compute/wasm-kernels/conv2d.ts), one per (row phase, column
 * phase): the sub-pixel form of a transposed convolution, so stride 2 costs
 * the gradient's real multiply-adds rather than 4x that on a zero-dilated dY.
 * Each phase's output is scattered into dX's strided rows and columns; with
 * stride 1 the single phase's output is dX itself.
 */
export function backpropInput(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo | undefined {
  const rowPhases = axisPhases(g.inH, g.outH, g.sh, g.padTop, g.kh);
  const colPhases = axisPhases(g.inW, g.outW, g.sw, g.padLeft, g.kw);
  if ([...rowPhases, ...colPhases].some((p) => p.taps.length > 0 && p.padBefore < 0)) return undefined;
  const kernels = simd(backend);

  if (rowPhases.length === 1 && colPhases.length === 1) {
    const [py, px] = [rowPhases[0], colPhases[0]];
    if (py.outLength === g.inH && px.outLength === g.inW && py.taps.length > 0 && px.taps.length > 0) {
      const w = phaseFilter(backend, filter, g, py.taps, px.taps);
      const dx = convolve(backend, dy, w, {
        top: py.padBefore,
        bottom: py.padAfter,
        left: px.padBefore,
        right: px.padAfter,
      });
      release(backend, w);
      return dx;
    }
  }
  if (!kernels) return undefined;

  const dx = backend.makeOutput([g.batch, g.inH, g.inW, g.inC], 'float32');
  const coversAll = rowPhases.every((p) => p.taps.length > 0) && colPhases.every((p) => p.taps.length > 0);
  if (!coversAll) f32(backend, dx).fill(0);
  const pixel = g.inC * 4;
  for (const py of rowPhases) {
    for (const px of colPhases) {
      if (py.taps.length === 0 || px.taps.length === 0) continue;
      const w = phaseFilter(backend, filter, g, py.taps, px.taps);
      const part = convolve(backend, dy, w, {
        top: py.padBefore,
        bottom: py.padAfter,
        left: px.padBefore,
        right: px.padAfter,
      });
      kernels.copyBlocks(
        addr(backend, part),
        addr(backend, dx) + (py.first * g.inW + px.first) * pixel,
        g.batch,
        py.count,
        px.count,
        pixel,
        py.outLength * px.outLength * pixel,
        px.outLength * pixel,
        pixel,
        g.inH * g.inW * pixel,
        g.sh * g.inW * pixel,
        g.sw * pixel,
      );
      release(backend, w, part);
    }
  }
  return dx;
}

function conv2DBackpropInput(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
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
  // Padding wider than the kernel (explicit) leaves a phase needing negative padding: left upstream.
  return backpropInput(backend, dy, filter, g) ?? upstream(tf.Conv2DBackpropInput)(args);
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};

import { tf } from '../../tf';
import { WasmBackend } from './wasm-backend';

/**
 * Our kernels reuse tfjs-backend-wasm's own kernels (XNNPACK convolution and
 * fully-connected, transpose) by calling their kernel functions straight from
 * the registry with the same backend object: no engine round trip, no tape, and
 * the intermediates stay TensorInfos we free ourselves. The functions are
 * captured before we replace any of them.
 */
type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };
type Fn = (args: Args) => tf.TensorInfo;

const captured = new Map<string, Fn>();

/** Captures the named kernels; `required` ones must exist upstream. */
export function captureUpstream(required: string[], optional: string[] = []): void {
  for (const name of [...required, ...optional]) {
    if (captured.has(name)) continue;
    const config = tf.getKernel(name, 'wasm');
    if (!config) {
      if (required.includes(name)) throw new Error(`tfjs-backend-wasm has no '${name}' kernel to build on`);
      continue;
    }
    captured.set(name, config.kernelFunc as unknown as Fn);
  }
}

export function upstream(name: string): Fn {
  const fn = captured.get(name);
  if (!fn) throw new Error(`upstream wasm kernel '${name}' was not captured`);
  return fn;
}

/** The upstream kernel ours replaced, if there was one (for before/after benchmarks). */
export function replacedUpstream(name: string): Fn | undefined {
  return captured.get(name);
}

export function transpose(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return upstream(tf.Transpose)({ inputs: { x }, attrs: { perm }, backend });
}

/** Explicit per-side padding of a stride-1 NHWC convolution. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** XNNPACK NHWC convolution, stride 1, with explicit padding. */
export function conv2d(backend: WasmBackend, x: tf.TensorInfo, filter: tf.TensorInfo, pads: Pads): tf.TensorInfo {
  const pad = [
    [0, 0],
    [pads.top, pads.bottom],
    [pads.left, pads.right],
    [0, 0],
  ] as unknown as tf.NamedAttrMap[string];
  return upstream(tf.Conv2D)({
    inputs: { x, filter },
    attrs: { strides: [1, 1], dilations: [1, 1], pad, dataFormat: 'NHWC' },
    backend,
  });
}

/** XNNPACK fully-connected: [m, k] x [k, n] -> [m, n], no transposes. */
export function matMul(backend: WasmBackend, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return upstream(tf.BatchMatMul)({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend });
}

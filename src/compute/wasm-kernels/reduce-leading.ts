import { tf } from '../../tf';
import { upstream } from './upstream';
import { addr, asWasm, f32, simd } from './wasm-backend';

/**
 * Upstream Sum transposes the reduced axes innermost (a full copy) and then
 * reduces. Bias gradients reduce every leading axis of an NHWC or [batch, units]
 * tensor, which is a row-wise vector add straight off the original layout.
 */
function sum(args: { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i) && axes.length > 0 && axes.length < x.shape.length;
  const kept = x.shape.slice(axes.length);
  const rowLength = tf.util.sizeFromShape(kept);
  const kernels = simd(backend);
  if (!kernels || !leading || x.dtype !== 'float32' || rowLength % 4 !== 0) {
    return upstream(tf.Sum)(args);
  }
  const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
  const out = backend.makeOutput(outShape, 'float32');
  f32(backend, out).fill(0);
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  kernels.sumRows(addr(backend, x), addr(backend, out), rows, rowLength * 4);
  return out;
}

export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  kernelFunc: sum as unknown as tf.KernelFunc,
};

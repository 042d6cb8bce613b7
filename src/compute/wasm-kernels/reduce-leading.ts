import { tf } from '../../tf';
import { upstream } from './upstream';
import { addr, asWasm, f32, simd } from './wasm-backend';

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/**
 * Upstream Sum and Mean transpose the reduced axes innermost (a full copy) and
 * then reduce. Bias gradients and BatchNorm statistics reduce every leading
 * axis of an NHWC or [batch, units] tensor: a row-wise vector add straight off
 * the original layout.
 */
function reduceLeading(kernel: typeof tf.Sum | typeof tf.Mean, args: Args): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x } = args.inputs as unknown as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length && axes.every((a, i) => a === i);
  const kept = x.shape.slice(axes.length);
  const rowLength = tf.util.sizeFromShape(kept);
  const kernels = simd(backend);
  if (!kernels || !leading || x.dtype !== 'float32' || rowLength % 4 !== 0) return upstream(kernel)(args);

  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  const values = f32(backend, out);
  values.fill(0);
  const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  kernels.sumRows(addr(backend, x), addr(backend, out), rows, rowLength * 4);
  if (kernel === tf.Mean) {
    for (let i = 0; i < values.length; i++) values[i] /= rows;
  }
  return out;
}

export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  kernelFunc: ((args: Args) => reduceLeading(tf.Sum, args)) as unknown as tf.KernelFunc,
};

export const meanConfig: tf.KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'wasm',
  kernelFunc: ((args: Args) => reduceLeading(tf.Mean, args)) as unknown as tf.KernelFunc,
};

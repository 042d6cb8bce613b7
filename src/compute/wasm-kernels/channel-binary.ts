import { tf } from '../../tf';
import { channelOp } from './simd/module';
import { ChannelOp } from './simd/channel-ops';
import { upstream } from './upstream';
import { addr, asWasm, simd } from './wasm-backend';

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/** The loop to run when the full-size operand is a, and when it is b. */
const OPS: Record<string, [ChannelOp, ChannelOp]> = {
  [tf.Add]: ['add', 'add'],
  [tf.Sub]: ['sub', 'rsub'],
  [tf.Multiply]: ['mul', 'mul'],
  [tf.RealDiv]: ['div', 'rdiv'],
};

/** True when `small`, without leading 1s, is exactly the trailing dimensions of `shape`. */
function trailing(small: number[], shape: number[]): boolean {
  const dims = small.slice(small.findIndex((d) => d !== 1));
  if (small.every((d) => d === 1) || dims.length > shape.length) return false;
  return dims.every((d, i) => d === shape[shape.length - dims.length + i]);
}

/**
 * Upstream wasm binary ops are fast for equal shapes and scalars but compute
 * broadcast indices per element otherwise (~5x slower). Bias adds and
 * BatchNorm (forward and gradient) broadcast a per-channel vector over an NHWC
 * tensor: that case runs as a SIMD row loop.
 */
function channelBinary(kernel: string, args: Args): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { a, b } = args.inputs as unknown as { a: tf.TensorInfo; b: tf.TensorInfo };
  const kernels = simd(backend);
  if (!kernels || a.dtype !== 'float32' || b.dtype !== 'float32') return upstream(kernel)(args);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const size = tf.util.sizeFromShape(shape);
  const bigIsA = tf.util.sizeFromShape(a.shape) === size;
  const [big, small] = bigIsA ? [a, b] : [b, a];
  const channels = tf.util.sizeFromShape(small.shape);
  if (
    channels === size ||
    channels % 4 !== 0 ||
    tf.util.sizeFromShape(big.shape) !== size ||
    !trailing(small.shape, shape)
  ) {
    return upstream(kernel)(args);
  }
  const out = backend.makeOutput(shape, 'float32');
  const run = channelOp(kernels, OPS[kernel][bigIsA ? 0 : 1]);
  run(addr(backend, big), addr(backend, small), addr(backend, out), size * 4, channels * 4);
  return out;
}

export const channelBinaryConfigs: tf.KernelConfig[] = Object.keys(OPS).map((kernelName) => ({
  kernelName,
  backendName: 'wasm',
  kernelFunc: ((args: Args) => channelBinary(kernelName, args)) as unknown as tf.KernelFunc,
}));

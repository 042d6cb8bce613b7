import { tf } from '../../tf';
import { upstream } from './upstream';
import { addr, asWasm, f32, release, simd } from './wasm-backend';

type Args = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown };

/**
 * BatchNorm's forward as out = x * k[c] + m[c], with k = scale / sqrt(variance
 * + eps) and m = offset - mean * k folded per channel first. Upstream
 * normalises element by element with broadcast index arithmetic.
 */
function fusedBatchNorm(args: Args): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, mean, variance, offset, scale } = args.inputs as unknown as Record<string, tf.TensorInfo | undefined>;
  const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
  const kernels = simd(backend);
  const channels = x!.shape[x!.shape.length - 1];
  const perChannel = [mean, variance, offset, scale].every(
    (t) => t === undefined || (t.dtype === 'float32' && tf.util.sizeFromShape(t.shape) === channels),
  );
  if (
    !kernels ||
    x!.dtype !== 'float32' ||
    channels % 4 !== 0 ||
    !perChannel ||
    tf.util.sizeFromShape(x!.shape) === 0
  ) {
    return upstream(tf.FusedBatchNorm)(args);
  }
  const folded = backend.makeOutput([2, channels], 'float32');
  const out = backend.makeOutput(x!.shape, 'float32');
  const km = f32(backend, folded);
  const [mu, v] = [f32(backend, mean!), f32(backend, variance!)];
  const beta = offset ? f32(backend, offset) : undefined;
  const gamma = scale ? f32(backend, scale) : undefined;
  for (let c = 0; c < channels; c++) {
    const k = (gamma ? gamma[c] : 1) / Math.sqrt(v[c] + varianceEpsilon);
    km[c] = k;
    km[channels + c] = (beta ? beta[c] : 0) - mu[c] * k;
  }
  const base = addr(backend, folded);
  kernels.channelAffine(
    addr(backend, x!),
    base,
    base + channels * 4,
    addr(backend, out),
    tf.util.sizeFromShape(x!.shape) * 4,
    channels * 4,
  );
  release(backend, folded);
  return out;
}

export const fusedBatchNormConfig: tf.KernelConfig = {
  kernelName: tf.FusedBatchNorm,
  backendName: 'wasm',
  kernelFunc: fusedBatchNorm as unknown as tf.KernelFunc,
};

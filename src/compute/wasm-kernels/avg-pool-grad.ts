import { tf } from '../../tf';
import { upstream } from './upstream';
import { addr, asWasm, f32, simd } from './wasm-backend';
import { poolGeometry } from './simd/pool-windows';

/** AveragePooling2D's gradient: a SIMD loop for channels in fours, upstream's kernel otherwise. */
function avgPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, input } = args.inputs as unknown as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad } = args.attrs as unknown as tf.AvgPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
  );
  const kernels = simd(backend);
  if (!kernels || info.inChannels % 4 !== 0) return upstream(tf.AvgPoolGrad)(args);
  const dx = backend.makeOutput(input.shape, 'float32');
  f32(backend, dx).fill(0);
  kernels.avgPoolGrad(
    addr(backend, dy),
    addr(backend, dx),
    ...poolGeometry(info),
    1 / (info.filterHeight * info.filterWidth),
  );
  return dx;
}

export const avgPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.AvgPoolGrad,
  backendName: 'wasm',
  kernelFunc: avgPoolGrad as unknown as tf.KernelFunc,
};

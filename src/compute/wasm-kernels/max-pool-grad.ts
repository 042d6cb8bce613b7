import { tf } from '../../tf';
import { addr, asWasm, f32, simd, WasmBackend } from './wasm-backend';
import { poolGeometry } from './simd/pool-windows';

type PoolInfo = tf.backend_util.Conv2DInfo;

/**
 * Routes each dY value to the first input in its window (scan order, as the
 * plain JS backend does) that equals the pooled maximum, accumulating where
 * windows overlap. Matching against MaxPool's saved output avoids tracking a
 * running argmax. This is the fallback for channel counts not a multiple of 4.
 */
function maxPoolGradJs(
  backend: WasmBackend,
  input: tf.TensorInfo,
  output: tf.TensorInfo,
  dy: tf.TensorInfo,
  dxInfo: tf.TensorInfo,
  info: PoolInfo,
): void {
  const { batchSize, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const x = f32(backend, input);
  const y = f32(backend, output);
  const g = f32(backend, dy);
  const dx = f32(backend, dxInfo);
  const rowStride = W * C;
  let o = 0;
  for (let n = 0; n < batchSize; n++) {
    const image = n * H * rowStride;
    for (let oy = 0; oy < OH; oy++) {
      const y0 = Math.max(0, oy * sh - padTop);
      const y1 = Math.min(H, oy * sh - padTop + fh);
      for (let ox = 0; ox < OW; ox++, o += C) {
        const x0 = Math.max(0, ox * sw - padLeft);
        const x1 = Math.min(W, ox * sw - padLeft + fw);
        const corner = image + y0 * rowStride + x0 * C;
        for (let c = 0; c < C; c++) {
          const max = y[o + c];
          search: for (let r = corner + c, yy = y0; yy < y1; yy++, r += rowStride) {
            for (let p = r, xx = x0; xx < x1; xx++, p += C) {
              if (x[p] === max) {
                dx[p] += g[o + c];
                break search;
              }
            }
          }
        }
      }
    }
  }
}

function maxPoolGrad(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { dy, input, output } = args.inputs as unknown as {
    dy: tf.TensorInfo;
    input: tf.TensorInfo;
    output: tf.TensorInfo;
  };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, 'float32');
  f32(backend, dx).fill(0);
  const kernels = simd(backend);
  if (kernels && info.inChannels % 4 === 0) {
    kernels.maxPoolGrad(
      addr(backend, input),
      addr(backend, output),
      addr(backend, dy),
      addr(backend, dx),
      ...poolGeometry(info),
    );
  } else {
    maxPoolGradJs(backend, input, output, dy, dx, info);
  }
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};

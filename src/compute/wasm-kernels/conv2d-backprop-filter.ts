import { tf } from '../../tf';
import { convGeometry, ConvGeometry } from './conv-geometry';
import { paddedInput } from './padded-input';
import { matMul, transpose } from './upstream';
import { TAPS_PER_CALL } from './simd/filter-grad-taps';
import { SimdKernels } from './simd/module';
import { addr, asWasm, f32, release, simd, WasmBackend } from './wasm-backend';

/**
 * Up to this many filter rows (kh * kw * inC) the gradient is summed straight from the input and dY
 * (filterGradTaps) rather than as im2col and one XNNPACK matrix product. Measured on one core (fresh dY each
 * call, as in training), direct against the product: 3x3 on 1 channel to 16, 64 of 28x28: 0.7 ms against 3.9;
 * 3x3x3 to 32, 16 of 224x224 at stride 2: 36 against 75; 3x3x16 to 32, 64 of 14x14: 4.3 against 6.0; 3x3x32 to
 * 32, 32 of 56x56: 71 against 158; 3x3x64 to 64 (576 rows), 64 of 7x7: 10.7 against 11.8; past it the product
 * wins: 3x3x128 to 128 (1,152 rows): 41.8 against 38.4.
 */
export const MAX_DIRECT_ROWS = 576;

/**
 * dW[a, b, ci, co] = sum over n, y, x of X[n, y*s + a - padTop, x*s + b - padLeft, ci] * dY[n, y, x, co].
 *
 * That is one matrix product: cols [kh*kw*ci, oh*ow*n] times dY^T [oh*ow*n, co]
 * gives dW's layout directly, and XNNPACK's fully-connected kernel runs it.
 * With X^T [ci, H, W, n], each row of cols is a few block copies of X^T.
 *
 * The alternative of running it as an XNNPACK convolution (X^T convolved with
 * dY^T as a dilated filter) measured 1.1x to 1.7x slower on the shapes we train.
 * Up to MAX_DIRECT_ROWS rows of cols, our own SIMD loops sum it without cols.
 */
export function backpropFilter(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const kernels = simd(backend);
  if (kernels && g.outC % 4 === 0 && g.kh * g.kw * g.inC <= MAX_DIRECT_ROWS) {
    return backpropFilterDirect(backend, kernels, x, dy, g);
  }
  const xT = transpose(backend, x, [3, 1, 2, 0]);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const n = g.batch;
  const k = g.outH * g.outW * n;
  const cols = backend.makeOutput([g.kh * g.kw * g.inC, k], 'float32');
  const heap = backend.wasm.HEAPF32;
  const colBase = backend.dataIdMap.get(cols.dataId).memoryOffset >>> 2;
  const xBase = backend.dataIdMap.get(xT.dataId).memoryOffset >>> 2;
  let row = colBase;
  for (let a = 0; a < g.kh; a++) {
    for (let b = 0; b < g.kw; b++) {
      // x range whose input column x*sw + b - padLeft lies inside the image
      const x0 = Math.max(0, Math.ceil((g.padLeft - b) / g.sw));
      const x1 = Math.min(g.outW, Math.floor((g.inW - 1 + g.padLeft - b) / g.sw) + 1);
      for (let c = 0; c < g.inC; c++) {
        for (let y = 0; y < g.outH; y++) {
          const dstRow = row + y * g.outW * n;
          const iy = y * g.sh + a - g.padTop;
          if (iy < 0 || iy >= g.inH || x1 <= x0) {
            heap.fill(0, dstRow, dstRow + g.outW * n);
            continue;
          }
          heap.fill(0, dstRow, dstRow + x0 * n);
          heap.fill(0, dstRow + x1 * n, dstRow + g.outW * n);
          const srcRow = xBase + (c * g.inH + iy) * g.inW * n;
          if (g.sw === 1) {
            const s = srcRow + (x0 + b - g.padLeft) * n;
            heap.copyWithin(dstRow + x0 * n, s, s + (x1 - x0) * n);
          } else {
            for (let xx = x0; xx < x1; xx++) {
              const s = srcRow + (xx * g.sw + b - g.padLeft) * n;
              heap.copyWithin(dstRow + xx * n, s, s + n);
            }
          }
        }
        row += k;
      }
    }
  }
  release(backend, xT);
  const dyMat = { dataId: dyT.dataId, shape: [k, g.outC], dtype: dyT.dtype };
  const dw = matMul(backend, cols, dyMat);
  release(backend, cols, dyT);
  dw.shape = [g.kh, g.kw, g.inC, g.outC];
  return dw;
}

/**
 * The same dW, each row (tap a, b and input channel ci) a sum over the output positions of one input value times
 * dY's channels: the input is copied once into a zero-padded image, so every position's window lies inside it,
 * and filterGradTaps sums four rows and eight (or the last four) output channels per pass.
 */
function backpropFilterDirect(
  backend: WasmBackend,
  kernels: SimdKernels,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo {
  const input = paddedInput(backend, kernels, x, g);
  const [xp, padH, padW] = [input.data, input.height, input.width];
  const rows = g.kh * g.kw * g.inC;
  const dw = backend.makeOutput([g.kh, g.kw, g.inC, g.outC], 'float32');
  const lastRows = rows % TAPS_PER_CALL;
  const scratch = lastRows ? backend.makeOutput([TAPS_PER_CALL, g.outC], 'float32') : undefined;
  const pixelBytes = g.inC * 4;
  const offsets: number[] = [];
  for (let a = 0; a < g.kh; a++)
    for (let b = 0; b < g.kw; b++) for (let c = 0; c < g.inC; c++) offsets.push(((a * padW + b) * g.inC + c) * 4);
  const outStride = g.outC * 4;
  // the loops add to out
  f32(backend, dw).fill(0);
  if (scratch) f32(backend, scratch).fill(0);
  const imageBytes = padH * padW * pixelBytes;
  const rowStepBytes = g.sh * padW * pixelBytes;
  const dyRowBytes = g.outW * outStride;
  for (const part of positionChunks(g)) {
    const xAt = addr(backend, xp) + part.image * imageBytes + part.row * rowStepBytes;
    const dyAt = addr(backend, dy) + (part.image * g.outH + part.row) * dyRowBytes;
    for (let r0 = 0; r0 < rows; r0 += TAPS_PER_CALL) {
      const taps = offsets.slice(r0, r0 + TAPS_PER_CALL);
      const partial = taps.length < TAPS_PER_CALL;
      while (taps.length < TAPS_PER_CALL) taps.push(0);
      const out = partial && scratch ? addr(backend, scratch) : addr(backend, dw) + r0 * outStride;
      for (let co = 0; co < g.outC; co += 8) {
        const loop = co + 8 <= g.outC ? kernels.filterGradTaps2 : kernels.filterGradTaps1;
        loop(
          xAt,
          dyAt + co * 4,
          out + co * 4,
          part.images,
          part.rows,
          g.outW,
          imageBytes,
          rowStepBytes,
          g.sw * pixelBytes,
          outStride,
          outStride,
          ...taps,
        );
      }
    }
  }
  if (scratch) {
    const heap = backend.wasm.HEAPF32;
    const from = addr(backend, scratch) >>> 2;
    const r0 = rows - lastRows;
    const to = (addr(backend, dw) >>> 2) + r0 * g.outC;
    heap.copyWithin(to, from, from + lastRows * g.outC);
  }
  input.release();
  if (scratch) release(backend, scratch);
  return dw;
}

/** dY bytes one pass of the direct loops covers, so that its dY and input stay in cache for all the passes. */
const CHUNK_BYTES = 256 * 1024;

/**
 * The output positions in parts of about CHUNK_BYTES of dY: whole images where one fits, else rows of one image.
 * Each part runs every pass (row group, channel block) before the next part begins: on a 56x56 map of 32 batches
 * and 32 channels, one pass over all positions per row group took 1.6x as long as the matrix product.
 */
function positionChunks(g: ConvGeometry): { image: number; images: number; row: number; rows: number }[] {
  const rowBytes = g.outW * g.outC * 4;
  const imageBytes = g.outH * rowBytes;
  const parts: { image: number; images: number; row: number; rows: number }[] = [];
  if (imageBytes <= CHUNK_BYTES) {
    const step = Math.max(1, Math.floor(CHUNK_BYTES / imageBytes));
    for (let n = 0; n < g.batch; n += step)
      parts.push({ image: n, images: Math.min(step, g.batch - n), row: 0, rows: g.outH });
    return parts;
  }
  const step = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  for (let n = 0; n < g.batch; n++)
    for (let y = 0; y < g.outH; y += step)
      parts.push({ image: n, images: 1, row: y, rows: Math.min(step, g.outH - y) });
  return parts;
}

function conv2DBackpropFilter(args: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: unknown;
}): tf.TensorInfo {
  const backend = asWasm(args.backend);
  const { x, dy } = args.inputs as unknown as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const g = convGeometry(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
    attrs.dataFormat,
  );
  return backpropFilter(backend, x, dy, g);
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

import { tf } from '../../tf';
import { ConvGeometry } from './conv-geometry';
import { SimdKernels } from './simd/module';
import { addr, release, WasmBackend } from './wasm-backend';

/** A convolution's input with zeros around it, so that every output position's window lies inside. */
export interface PaddedInput {
  data: tf.TensorInfo;
  height: number;
  width: number;
  /** Frees the copy (nothing where the input needed no padding). */
  release(): void;
}

export function paddedInput(
  backend: WasmBackend,
  kernels: SimdKernels,
  x: tf.TensorInfo,
  g: ConvGeometry,
): PaddedInput {
  const height = Math.max(g.padTop + g.inH, (g.outH - 1) * g.sh + g.kh);
  const width = Math.max(g.padLeft + g.inW, (g.outW - 1) * g.sw + g.kw);
  if (height === g.inH && width === g.inW && g.padTop === 0 && g.padLeft === 0)
    return { data: x, height, width, release: () => {} };
  const data = backend.makeOutput([g.batch, height, width, g.inC], 'float32');
  const pixelBytes = g.inC * 4;
  const base = addr(backend, data) >>> 2;
  backend.wasm.HEAPF32.fill(0, base, base + g.batch * height * width * g.inC);
  const rowBytes = g.inW * pixelBytes;
  kernels.copyBlocks(
    addr(backend, x),
    addr(backend, data) + (g.padTop * width + g.padLeft) * pixelBytes,
    g.batch,
    g.inH,
    1,
    rowBytes,
    g.inH * rowBytes,
    rowBytes,
    0,
    height * width * pixelBytes,
    width * pixelBytes,
    0,
  );
  return { data, height, width, release: () => release(backend, data) };
}

import { assemble } from './assembler';
import { avgPoolGradFn } from './avg-pool-grad-simd';
import { CHANNEL_OPS, ChannelOp, channelAffineFn, channelOpFn } from './channel-ops';
import { convTapsFn } from './conv-taps';
import { copyBlocksFn } from './copy-blocks';
import { filterGradTapsFn } from './filter-grad-taps';
import { maxPoolGradFn } from './max-pool-grad-simd';
import { PoolGeometry } from './pool-windows';
import { sumRowsFn } from './sum-rows-simd';

/** Our SIMD loops, bound to one wasm heap. Arguments are byte offsets and counts. */
export interface SimdKernels {
  maxPoolGrad(x: number, y: number, g: number, dx: number, ...geometry: PoolGeometry): void;
  avgPoolGrad(dy: number, dx: number, ...geometryAndScale: [...PoolGeometry, scale: number]): void;
  sumRows(x: number, out: number, rows: number, rowBytes: number): void;
  copyBlocks(
    src: number,
    dst: number,
    n0: number,
    n1: number,
    n2: number,
    blockBytes: number,
    s0: number,
    s1: number,
    s2: number,
    d0: number,
    d1: number,
    d2: number,
  ): void;
  channelAffine(x: number, k: number, m: number, out: number, totalBytes: number, rowBytes: number): void;
  convTaps1: ConvTaps;
  convTaps2: ConvTaps;
  filterGradTaps1: FilterGradTaps;
  filterGradTaps2: FilterGradTaps;
}

/** A convTaps loop (simd/conv-taps.ts): four positions, four (1) or eight (2) output channels. */
export type ConvTaps = (
  x: number,
  w: number,
  out: number,
  batch: number,
  outH: number,
  outW: number,
  imageBytes: number,
  rowStepBytes: number,
  colStepBytes: number,
  kh: number,
  kw: number,
  inC: number,
  padRowBytes: number,
  pixelBytes: number,
  bias: number,
  relu: number,
) => void;

/** A filterGradTaps loop (simd/filter-grad-taps.ts): four filter rows, four (1) or eight (2) output channels. */
export type FilterGradTaps = (
  x: number,
  dy: number,
  out: number,
  batch: number,
  outH: number,
  outW: number,
  imageBytes: number,
  rowStepBytes: number,
  colStepBytes: number,
  pixelBytes: number,
  outStride: number,
  ...tapOffsets: number[]
) => void;

/** The [rows, C] op [C] loop for one operation. */
export function channelOp(
  k: SimdKernels,
  op: ChannelOp,
): (big: number, vec: number, out: number, totalBytes: number, rowBytes: number) => void {
  return (k as unknown as Record<string, (...args: number[]) => void>)[`channel_${op}`];
}

/** The wasm backend's heap: a WebAssembly.Memory (the tsconfig's libs do not declare WebAssembly). */
export type WasmMemory = object;

interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<WasmMemory, SimdKernels>();

/**
 * The kernels running on `memory`, instantiated once per heap; undefined where
 * this V8 cannot compile wasm SIMD (callers then take their fallbacks).
 */
export function simdKernels(memory: WasmMemory): SimdKernels | undefined {
  let k = instances.get(memory);
  if (!k) {
    if (compiled === undefined) {
      try {
        compiled = new WA.Module(
          assemble([
            maxPoolGradFn(),
            avgPoolGradFn(),
            sumRowsFn(),
            copyBlocksFn(),
            channelAffineFn(),
            convTapsFn(1),
            convTapsFn(2),
            filterGradTapsFn(1),
            filterGradTapsFn(2),
            ...CHANNEL_OPS.map(channelOpFn),
          ]),
        );
      } catch {
        compiled = null;
      }
    }
    if (compiled === null) return undefined;
    k = new WA.Instance(compiled, { env: { memory } }).exports as SimdKernels;
    instances.set(memory, k);
  }
  return k;
}

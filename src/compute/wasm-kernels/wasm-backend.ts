import { tf } from '../../tf';
import { SimdKernels, simdKernels, WasmMemory } from './simd/module';

/**
 * The parts of tfjs-backend-wasm's BackendWasm our kernels touch. The package's
 * own type drags in Emscripten typings we do not install, so we name only these.
 */
export interface WasmBackend {
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  incRef(dataId: tf.DataId): void;
  /** A typed view of a tensor's memory on the heap (no copy). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  wasm: { HEAPF32: Float32Array; asm?: { memory?: WasmMemory } };
}

/** The backend handed to a kernel, narrowed to what we use. */
export function asWasm(backend: unknown): WasmBackend {
  return backend as WasmBackend;
}

/**
 * A float32 view of a tensor's memory on the wasm heap. Any allocation can grow
 * the heap and detach earlier views, so take views after allocating.
 */
export function f32(backend: WasmBackend, t: tf.TensorInfo): Float32Array {
  const offset = backend.dataIdMap.get(t.dataId).memoryOffset;
  return new Float32Array(backend.wasm.HEAPF32.buffer, offset, tf.util.sizeFromShape(t.shape));
}

/** Frees intermediate tensors a kernel made and does not return. */
export function release(backend: WasmBackend, ...infos: tf.TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Byte offset of a tensor's data on the wasm heap. */
export function addr(backend: WasmBackend, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

let simdEnabled = true;

/** Turns our SIMD loops off (every kernel then takes its fallback), e.g. to rule them out when debugging. */
export function useSimdLoops(enabled: boolean): void {
  simdEnabled = enabled;
}

/** Our SIMD kernels on this backend's heap, or undefined when the heap is not reachable. */
export function simd(backend: WasmBackend): SimdKernels | undefined {
  const memory = backend.wasm.asm?.memory;
  return simdEnabled && memory ? simdKernels(memory) : undefined;
}

import { readdirSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { tf } from '../tf';

export interface MemoryReading {
  /** False when node runs without --expose-gc: the figures then include garbage not yet collected. */
  collected: boolean;
  rssBytes: number;
  heapUsedBytes: number;
  /** V8's heap as reserved for objects (used plus free space in its pages). */
  heapTotalBytes: number;
  /** Resident bytes of each V8 heap space (new_space, old_space, code_space, large_object_space...). */
  heapSpaces: Record<string, number>;
  /** V8's own malloc'ed memory outside the heap (compiler zones, handles). */
  v8MallocedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
  /** The tfjs wasm backend's linear memory (it only grows), null on other backends. */
  wasmHeapBytes: number | null;
  tensors: number;
  tensorBytes: number;
  /** Open file descriptors (Linux: /proc/self/fd), null elsewhere. */
  openFds: number | null;
}

function wasmHeapBytes(): number | null {
  try {
    if (tf.getBackend() !== 'wasm') return null;
    const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
    return backend.wasm?.HEAPU8?.buffer.byteLength ?? null;
  } catch {
    return null;
  }
}

/** The process's memory after a full garbage collection (when node was started with --expose-gc), for leak hunting and the soak bench. */
export function memoryReading(): MemoryReading {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  let openFds: number | null = null;
  try {
    openFds = readdirSync('/proc/self/fd').length;
  } catch {
    /* not Linux */
  }
  const m = process.memoryUsage();
  const t = tf.memory();
  return {
    collected: gc !== undefined,
    rssBytes: m.rss,
    heapUsedBytes: m.heapUsed,
    heapTotalBytes: m.heapTotal,
    heapSpaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.physical_space_size])),
    v8MallocedBytes: getHeapStatistics().malloced_memory,
    externalBytes: m.external,
    arrayBuffersBytes: m.arrayBuffers,
    wasmHeapBytes: wasmHeapBytes(),
    tensors: t.numTensors,
    tensorBytes: t.numBytes,
    openFds,
  };
}

import { readdirSync } from 'node:fs';
import { tf } from '../tf';

export interface MemoryReading {
  /** False when node runs without --expose-gc: the figures then include garbage not yet collected. */
  collected: boolean;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  tensors: number;
  tensorBytes: number;
  /** Open file descriptors (Linux: /proc/self/fd), null elsewhere. */
  openFds: number | null;
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
    externalBytes: m.external,
    tensors: t.numTensors,
    tensorBytes: t.numBytes,
    openFds,
  };
}

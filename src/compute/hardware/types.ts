import type { WebGpuProbe } from '../webgpu/adapter';

/**
 * What systeminformation and /proc give, trimmed to the fields detection uses.
 * Recorded fixtures (test/fixtures/hardware/*.json) have exactly this shape.
 * Units are systeminformation's: mem.total in bytes, controller vram in MB (MiB).
 */
export interface RawHardware {
  cpu: { manufacturer: string; brand: string; cores: number; physicalCores: number; flags: string };
  mem: { total: number };
  graphics: { controllers: RawGraphicsController[] };
  osInfo: { platform: string; arch: string; release: string };
  /** /proc/device-tree/model (Jetsons and other device-tree boards). */
  deviceTreeModel?: string;
  /** /etc/nv_tegra_release (Jetsons). */
  tegraRelease?: string;
  /** From nvidia-smi, else /usr/local/cuda/version.json (or version.txt), if present. */
  cudaVersion?: string;
  /** The WebGPU adapter Dawn offers (src/compute/webgpu/probe.ts); absent in recordings made before it existed. */
  webgpu?: WebGpuProbe;
}

export interface RawGraphicsController {
  vendor: string;
  model: string;
  /** MiB as systeminformation reports it (lspci aperture or nvidia-smi memory.total); null when unknown. */
  vram: number | null;
  driverVersion?: string;
}

export interface GpuFacts {
  /** NVIDIA, AMD, Intel, Apple, or the reported vendor when it is none of these. */
  vendor: string;
  model: string;
  /** Dedicated memory; for unified-memory devices (Jetson, Apple silicon) the shared system memory. */
  vramBytes: number | null;
}

export interface ComputeFacts {
  cpu: { model: string; cores: number; flags: string[] };
  memoryBytes: number;
  gpus: GpuFacts[];
  nvidia: { driver?: string; cuda: boolean; cudaVersion?: string };
  /** Set on NVIDIA Jetson boards; unified memory when set. */
  jetson?: { model: string; l4t?: string };
  unifiedMemory: boolean;
  /**
   * The WebGPU adapter (Dawn), when probed. A software adapter (lavapipe) is
   * reported here only: it never enters `gpus`, so no GPU rule matches it.
   */
  webgpu?: WebGpuProbe;
  /** The TF.js backend that actually loaded. */
  backend: string;
  arch: string;
}

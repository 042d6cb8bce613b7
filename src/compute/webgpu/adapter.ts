/** What a WebGPU adapter says about itself, reduced to what detection and the policy use. */

export interface WebGpuAdapterFacts {
  /** GPUAdapterInfo.vendor as Dawn reports it: 'nvidia', 'mesa', 'intel', ... */
  vendor: string;
  /** GPUAdapterInfo.architecture: 'ampere', 'software', ... */
  architecture: string;
  device: string;
  /** Driver and device in words (Dawn's description): 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)'. */
  description: string;
  isFallbackAdapter: boolean;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader): never counted as a GPU. */
  software: boolean;
}

/** Detection's WebGPU result: the adapter, or why there is none. */
export type WebGpuProbe = { adapter: WebGpuAdapterFacts } | { adapter: null; reason: string };

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|software rasterizer|warp/i;

/** Software when the adapter says so (fallback, architecture 'software' or 'cpu') or names a known CPU rasteriser. */
export function isSoftwareAdapter(f: Omit<WebGpuAdapterFacts, 'software'>): boolean {
  return (
    f.isFallbackAdapter ||
    /^(software|cpu)$/i.test(f.architecture) ||
    SOFTWARE_NAMES.test(f.device) ||
    SOFTWARE_NAMES.test(f.description)
  );
}

/** Reads GPUAdapter.info (Dawn 0.6: info.isFallbackAdapter; older: adapter.isFallbackAdapter). */
export function adapterFacts(adapter: GPUAdapter): WebGpuAdapterFacts {
  const a = adapter as GPUAdapter & { info?: AdapterInfoLike; isFallbackAdapter?: boolean };
  const info: AdapterInfoLike = a.info ?? {};
  const base = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? a.isFallbackAdapter ?? false,
  };
  return { ...base, software: isSoftwareAdapter(base) };
}

/** One line for humans: 'mesa llvmpipe: Mesa 25.0.7 ... (software, fallback adapter: not counted as a GPU)'. */
export function describeAdapter(probe: WebGpuProbe): string {
  if (!probe.adapter) return `none (${probe.reason})`;
  const f = probe.adapter;
  const name = [f.vendor, f.description || f.device].filter(Boolean).join(' ') || 'unnamed adapter';
  const arch = f.architecture ? `architecture ${f.architecture}` : 'architecture not reported';
  if (f.software)
    return `${name} (${arch}${f.isFallbackAdapter ? ', fallback adapter' : ''}; software: not counted as a GPU)`;
  return `${name} (${arch})`;
}

import { probeWebGpu } from '../../src/compute/webgpu/probe';

/**
 * Why the WebGPU tests cannot run here, or false when they can. They skip
 * only where no Vulkan driver gives Dawn an adapter and CI is not set: under
 * CI=true a missing driver fails the tests (.ci/run installs lavapipe).
 */
export async function webgpuSkipReason(): Promise<string | false> {
  const probe = await probeWebGpu({});
  if (probe.adapter) return false;
  if (process.env.CI === 'true' || process.env.CI === '1')
    throw new Error(`CI is set but Dawn has no WebGPU adapter: ${probe.reason}`);
  const fix = /not installed/.test(probe.reason)
    ? 'npm install (webgpu is an optional dependency)'
    : 'install mesa-vulkan-drivers from bookworm-backports (docs/design/gpu.md)';
  return `no WebGPU adapter (${probe.reason}): ${fix}`;
}

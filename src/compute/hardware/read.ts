import { readFile } from 'node:fs/promises';
import si from 'systeminformation';
import { probeWebGpu } from '../webgpu/probe';
import { probeCudaVersion } from './cuda';
import { cleanDeviceTreeString } from './jetson';
import { RawHardware } from './types';

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads this machine: systeminformation (cpu, mem, graphics, osInfo), the Jetson files, the CUDA version and the WebGPU adapter. */
export async function readRawHardware(): Promise<RawHardware> {
  const [cpu, mem, graphics, osInfo, deviceTreeModel, tegraRelease, cudaVersion, webgpu] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.graphics(),
    si.osInfo(),
    readOptional('/proc/device-tree/model'),
    readOptional('/etc/nv_tegra_release'),
    probeCudaVersion(),
    probeWebGpu(),
  ]);
  return {
    cpu: {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      flags: cpu.flags,
    },
    mem: { total: mem.total },
    graphics: {
      controllers: graphics.controllers.map((c) => ({
        vendor: c.vendor,
        model: c.model,
        vram: c.vram ?? null,
        ...(c.driverVersion ? { driverVersion: c.driverVersion } : {}),
      })),
    },
    osInfo: { platform: osInfo.platform, arch: osInfo.arch, release: osInfo.release },
    ...(deviceTreeModel !== undefined ? { deviceTreeModel: cleanDeviceTreeString(deviceTreeModel) } : {}),
    ...(tegraRelease !== undefined ? { tegraRelease } : {}),
    ...(cudaVersion !== undefined ? { cudaVersion } : {}),
    webgpu,
  };
}

import { detectJetson } from './jetson';
import { ComputeFacts, GpuFacts, RawGraphicsController, RawHardware } from './types';
import { isDisplayOnly, normaliseGpuVendor, productName } from './vendor';

const MIB = 1024 * 1024;

function cpuModel(raw: RawHardware['cpu']): string {
  return `${raw.manufacturer} ${raw.brand}`.replace(/\s+/g, ' ').trim() || 'unknown CPU';
}

function cpuFlags(flags: string): string[] {
  return [...new Set(flags.toLowerCase().split(/\s+/).filter(Boolean))].sort();
}

function gpuFacts(c: RawGraphicsController): GpuFacts {
  const vendor = normaliseGpuVendor(c.vendor, c.model);
  // Without nvidia-smi (no driver), systeminformation's figure for an NVIDIA
  // card is lspci's largest PCI aperture, not its memory; 0 means unknown too.
  const trusted = c.vram !== null && c.vram > 0 && (vendor !== 'NVIDIA' || c.driverVersion !== undefined);
  return { vendor, model: productName(c.model), vramBytes: trusted ? c.vram! * MIB : null };
}

function listedGpus(raw: RawHardware): GpuFacts[] {
  return raw.graphics.controllers
    .filter((c) => (c.vendor.trim() !== '' || c.model.trim() !== '') && !isDisplayOnly(c.vendor))
    .map(gpuFacts);
}

/**
 * A hardware WebGPU adapter whose vendor no listed controller has (a
 * container without lspci, a board off PCI) is a GPU too, memory unknown. A
 * software adapter (lavapipe, SwiftShader) never is.
 */
function withWebGpuAdapter(gpus: GpuFacts[], probe: RawHardware['webgpu']): GpuFacts[] {
  const a = probe?.adapter;
  if (!a || a.software) return gpus;
  const vendor = normaliseGpuVendor(a.vendor, a.description);
  if (vendor === '' || gpus.some((g) => g.vendor.toLowerCase() === vendor.toLowerCase())) return gpus;
  return [...gpus, { vendor, model: a.description || a.device || a.architecture, vramBytes: null }];
}

/**
 * Normalises what the machine reported into the facts policies match on.
 * Unified memory (Jetsons, Apple silicon): the GPU's memory is the system memory,
 * so its vramBytes is the total memory. systeminformation lists no controller
 * on a Jetson (the GPU is not on PCI), so the board's integrated GPU is added.
 */
export function computeFacts(raw: RawHardware, backend: string): ComputeFacts {
  const memoryBytes = raw.mem.total;
  const board = detectJetson(raw.deviceTreeModel, raw.tegraRelease);
  let gpus = listedGpus(raw);
  const appleSilicon =
    raw.osInfo.platform === 'darwin' && raw.osInfo.arch === 'arm64' && gpus.some((g) => g.vendor === 'Apple');
  const unifiedMemory = board !== undefined || appleSilicon;
  if (board && !gpus.some((g) => g.vendor === 'NVIDIA'))
    gpus = [{ vendor: 'NVIDIA', model: board.gpu, vramBytes: null }, ...gpus];
  if (unifiedMemory)
    gpus = gpus.map((g) => (g.vendor === (board ? 'NVIDIA' : 'Apple') ? { ...g, vramBytes: memoryBytes } : g));

  gpus = withWebGpuAdapter(gpus, raw.webgpu);

  const driver = raw.graphics.controllers.find(
    (c) => normaliseGpuVendor(c.vendor, c.model) === 'NVIDIA' && c.driverVersion,
  )?.driverVersion;
  const nvidiaGpu = gpus.some((g) => g.vendor === 'NVIDIA');
  // A CUDA toolkit without an NVIDIA GPU (a container image, a build box) is not CUDA this device can use.
  const cuda = raw.cudaVersion !== undefined && nvidiaGpu && (driver !== undefined || board !== undefined);
  return {
    cpu: { model: cpuModel(raw.cpu), cores: raw.cpu.cores, flags: cpuFlags(raw.cpu.flags) },
    memoryBytes,
    gpus,
    nvidia: { ...(driver ? { driver } : {}), cuda, ...(raw.cudaVersion ? { cudaVersion: raw.cudaVersion } : {}) },
    ...(board ? { jetson: { model: board.model, ...(board.l4t ? { l4t: board.l4t } : {}) } } : {}),
    ...(raw.webgpu ? { webgpu: raw.webgpu } : {}),
    unifiedMemory,
    backend,
    arch: raw.osInfo.arch,
  };
}

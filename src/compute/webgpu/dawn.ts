/**
 * Dawn, WebGPU's native implementation, through the optional npm package
 * `webgpu` (dawn.node). One GPU object per process, kept in this module for
 * the life of the process: Dawn crashes (SIGSEGV) when the object from
 * create() is garbage-collected while work it started is still pending, so it
 * is never dropped.
 */
import { promisify } from 'node:util';
import { firstLine } from '../../util/deepend-error';

/** The part of the `webgpu` package deepend uses. */
interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

export interface Dawn {
  gpu: GPU;
  /** GPUBufferUsage, GPUMapMode, GPUShaderStage as dawn.node defines them. */
  globals: Record<string, unknown>;
}

let loaded: Dawn | undefined;
let failure: string | undefined;

/**
 * Loads dawn.node once and keeps its GPU object alive; throws a one-line
 * reason when the package is absent or its binary cannot load (e.g. glibc
 * older than 2.34 on JetPack 4/5, or Node older than 20.19 for require(esm)).
 */
export function loadDawn(): Dawn {
  if (loaded) return loaded;
  if (failure !== undefined) throw new Error(failure);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('webgpu') as DawnModule;
    const globals = mod.globals;
    // The spec's enums (GPUBufferUsage, GPUMapMode, ...) as globals, as in a browser.
    for (const [name, value] of Object.entries(globals))
      if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
    paceDawnPolls();
    loaded = { gpu: mod.create([]), globals };
    return loaded;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND') failure = 'the optional package webgpu (Dawn) is not installed';
    else if (code === 'ERR_REQUIRE_ESM')
      failure = `webgpu (Dawn) needs Node >= 20.19 to load from CommonJS (this is ${process.version})`;
    else failure = `webgpu (Dawn) did not load: ${firstLine(err)}`;
    throw new Error(failure);
  }
}

/**
 * dawn.node waits on the GPU by polling: while one of its promises is pending (a buffer map, an adapter, a
 * device) it hands setImmediate a native callback that polls the device and queues itself again, so the thread
 * awaiting the GPU spins a core at 100% for the whole wait. On lavapipe that core was the driver's: Stage II of
 * the shipped model (test/grow-stage2-webgpu) took 16.5 s and its test 36 CPU-seconds on two cores, and 11.0 s
 * and 22 CPU-seconds with the polls a millisecond apart; a GPU device (a Jetson) keeps the core for serving.
 * Only anonymous native callbacks (dawn.node's) are paced, by a 1 ms timer; every other setImmediate keeps its
 * meaning.
 */
function paceDawnPolls(): void {
  const immediate = globalThis.setImmediate;
  const paced = (callback: (...args: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate =>
    isDawnPoll(callback)
      ? (setTimeout(callback, 1, ...args) as unknown as NodeJS.Immediate)
      : immediate(callback, ...args);
  Object.assign(paced, { [promisify.custom]: (immediate as unknown as Record<symbol, unknown>)[promisify.custom] });
  globalThis.setImmediate = paced as typeof setImmediate;
}

/** dawn.node's poll: an anonymous native function (a bound JS function is named `bound ...`). */
export function isDawnPoll(callback: unknown): boolean {
  return (
    typeof callback === 'function' &&
    callback.name === '' &&
    Function.prototype.toString.call(callback).endsWith('{ [native code] }')
  );
}

/** The adapter Dawn picks (high-performance preference); throws a one-line reason when there is none. */
export async function requestAdapter(): Promise<GPUAdapter> {
  const { gpu } = loadDawn();
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new Error(`Dawn found no WebGPU adapter: ${firstLine(err)}`);
  }
  if (!adapter) throw new Error('Dawn found no WebGPU adapter (no Vulkan driver Dawn accepts: see docs/design/gpu.md)');
  return adapter;
}

/**
 * A device with the adapter's own storage limits (the defaults cap a
 * binding at 128 MiB). A lost device is reported once on stderr; the
 * trainer checks `lost` before each step.
 */
export async function requestDevice(adapter?: GPUAdapter): Promise<GPUDevice> {
  const a = adapter ?? (await requestAdapter());
  const device = await a.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize,
      maxBufferSize: a.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: a.limits.maxComputeWorkgroupStorageSize,
    },
  });
  return device;
}

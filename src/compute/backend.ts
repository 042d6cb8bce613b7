import { firstLine } from '../util/deepend-error';
import { tf } from '../tf';
import { registerWasmTrainingKernels } from './wasm-kernels';

/** Backend names as TF.js registers them. `tensorflow` is libtensorflow via tfjs-node(-gpu). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface BackendInfo {
  name: BackendName;
  /** Which package provided it: tfjs-node-gpu, tfjs-node, tfjs-backend-wasm, tfjs-backend-cpu. */
  package: string;
  /** True when the native package was built with CUDA and found a GPU. */
  gpu: boolean;
  /** Why preferred backends were skipped, for `status` and reports. */
  skipped: string[];
}

interface Candidate {
  name: BackendName;
  package: string;
  load(): Promise<boolean>;
}

const NATIVE_GPU = '@tensorflow/tfjs-node-gpu';
const NATIVE_CPU = '@tensorflow/tfjs-node';

function requireNative(pkg: string): boolean {
  // The native packages are optionalDependencies: their install downloads
  // libtensorflow and is dropped by npm when that fails (offline devices).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(pkg);
  return tf.findBackend('tensorflow') !== null;
}

const CANDIDATES: Candidate[] = [
  { name: 'tensorflow', package: NATIVE_GPU, load: async () => requireNative(NATIVE_GPU) },
  { name: 'tensorflow', package: NATIVE_CPU, load: async () => requireNative(NATIVE_CPU) },
  {
    name: 'wasm',
    package: '@tensorflow/tfjs-backend-wasm',
    load: async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-wasm');
      registerWasmTrainingKernels();
      return true;
    },
  },
  {
    name: 'cpu',
    package: '@tensorflow/tfjs-backend-cpu',
    load: async () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require('@tensorflow/tfjs-backend-cpu');
      return true;
    },
  },
];

const FORCE_ALIASES: Record<string, BackendName> = {
  tensorflow: 'tensorflow',
  native: 'tensorflow',
  node: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
  js: 'cpu',
};

let active: BackendInfo | undefined;

/** The variable that forces a backend. */
export const BACKEND_ENV = 'DEEPEND_BACKEND';

/** Parses DEEPEND_BACKEND; throws a one-line error for an unknown name. */
export function parseForcedBackend(value: string | undefined): BackendName | undefined {
  if (value === undefined || value.trim() === '' || value === 'auto') return undefined;
  const name = FORCE_ALIASES[value.trim().toLowerCase()];
  if (!name) {
    throw new Error(`DEEPEND_BACKEND=${value} is not a backend: use tensorflow, wasm or cpu (or auto)`);
  }
  return name;
}

async function tryCandidate(c: Candidate, skipped: string[]): Promise<boolean> {
  try {
    if (!(await c.load())) {
      skipped.push(`${c.package}: loaded but registered no '${c.name}' backend`);
      return false;
    }
    if (!(await tf.setBackend(c.name))) {
      skipped.push(`${c.package}: backend '${c.name}' failed to initialise`);
      return false;
    }
    await tf.ready();
    return true;
  } catch (err) {
    const msg = firstLine(err);
    skipped.push(`${c.package}: ${msg}`);
    return false;
  }
}

function nativeHasGpu(): boolean {
  try {
    // tfjs-node-gpu exposes the CUDA build through the binding's TF_Version-free
    // flag; the reliable check is whether a GPU device was listed at load.
    const backend = tf.backend() as unknown as { binding?: { isUsingGpuDevice?: () => boolean } };
    return backend.binding?.isUsingGpuDevice?.() ?? false;
  } catch {
    return false;
  }
}

/**
 * Picks the best backend that is installed and loads, in the design's order:
 * native GPU package, native CPU package, wasm, plain JS. `forced` (or
 * DEEPEND_BACKEND) restricts the choice to one backend and fails if it cannot load.
 */
export async function selectBackend(forced = parseForcedBackend(process.env[BACKEND_ENV])): Promise<BackendInfo> {
  if (active && (forced === undefined || forced === active.name)) return active;
  const skipped: string[] = [];
  for (const c of CANDIDATES) {
    if (forced !== undefined && c.name !== forced) continue;
    if (await tryCandidate(c, skipped)) {
      active = { name: c.name, package: c.package, gpu: c.name === 'tensorflow' && nativeHasGpu(), skipped };
      return active;
    }
  }
  const why = skipped.join('; ');
  throw new Error(forced ? `backend '${forced}' is not available: ${why}` : `no TF.js backend could be loaded: ${why}`);
}

/** The backend selected earlier in this process, if any. */
export function activeBackend(): BackendInfo | undefined {
  return active;
}

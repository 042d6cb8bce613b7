import { createHash } from 'node:crypto';
import { ComputeFacts } from './types';
import { compareCodeUnits } from '../../util/compare';

const GIB = 1024 ** 3;

/**
 * CPU flags that change which kernels run fast (x86 SIMD, ARM NEON/dot product/SVE).
 * Other flags come and go with microcode and kernel updates (mitigations,
 * hypervisor hints) and would make the fingerprint change for nothing.
 */
const COMPUTE_FLAGS = [
  'sse4_1',
  'sse4_2',
  'avx',
  'avx2',
  'fma',
  'f16c',
  'avx512f',
  'avx512_bf16',
  'avx512_vnni',
  'amx_tile',
  'asimd',
  'asimdhp',
  'asimddp',
  'sve',
  'sve2',
  'i8mm',
  'bf16',
];

function major(version: string | undefined): number | null {
  const head = version === undefined ? NaN : parseInt(version, 10);
  return Number.isFinite(head) ? head : null;
}

/**
 * The fields the fingerprint covers, each reduced to what a policy could care
 * about: memory and VRAM in whole GiB (MemTotal moves by megabytes between
 * kernels), driver, CUDA and L4T by major version only (a patch release
 * changes nothing a policy matches on), the compute-relevant CPU flags only.
 * Free memory, OS release and driver patch levels are left out on purpose.
 */
export function fingerprintFields(facts: ComputeFacts): Record<string, unknown> {
  return {
    arch: facts.arch,
    backend: facts.backend,
    cpu: {
      model: facts.cpu.model,
      cores: facts.cpu.cores,
      flags: COMPUTE_FLAGS.filter((f) => facts.cpu.flags.includes(f)),
    },
    memoryGiB: Math.round(facts.memoryBytes / GIB),
    gpus: facts.gpus
      .map((g) => `${g.vendor}|${g.model}|${g.vramBytes === null ? '?' : Math.round(g.vramBytes / GIB)}`)
      .sort(),
    nvidia: {
      driverMajor: major(facts.nvidia.driver),
      cuda: facts.nvidia.cuda,
      cudaMajor: facts.nvidia.cuda ? major(facts.nvidia.cudaVersion) : null,
    },
    jetson: facts.jetson ? { model: facts.jetson.model, l4tMajor: major(facts.jetson.l4t) } : null,
    unifiedMemory: facts.unifiedMemory,
  };
}

/** JSON with object keys sorted at every level, so the hash never depends on construction order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareCodeUnits(a, b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 hex over the stable fields only (see fingerprintFields). */
export function computeFingerprint(facts: ComputeFacts): string {
  return createHash('sha256')
    .update(canonicalJson(fingerprintFields(facts)))
    .digest('hex');
}

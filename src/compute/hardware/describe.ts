import { describeAdapter } from '../webgpu/adapter';
import { ComputeFacts } from './types';

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

/** The facts as label/value rows for humans (`deepend policy explain`, `deepend status`). */
export function describeFacts(facts: ComputeFacts): [string, string][] {
  const gpus =
    facts.gpus.length === 0
      ? 'none'
      : facts.gpus
          .map((g) => `${g.vendor} ${g.model} (${g.vramBytes === null ? 'memory unknown' : gb(g.vramBytes)})`)
          .join(', ');
  const cuda = describeCuda(facts.nvidia);
  const rows: [string, string][] = [
    ['cpu', `${facts.cpu.model}, ${facts.cpu.cores} cores, ${facts.arch}`],
    ['memory', gb(facts.memoryBytes)],
    ['gpus', gpus],
    ['nvidia', facts.nvidia.driver ? `driver ${facts.nvidia.driver}, ${cuda}` : cuda],
  ];
  if (facts.jetson)
    rows.push(['jetson', facts.jetson.l4t ? `${facts.jetson.model}, L4T ${facts.jetson.l4t}` : facts.jetson.model]);
  if (facts.webgpu) rows.push(['webgpu', describeAdapter(facts.webgpu)]);
  rows.push(['unified memory', facts.unifiedMemory ? 'yes' : 'no'], ['backend', facts.backend]);
  return rows;
}

function describeCuda(nvidia: ComputeFacts['nvidia']): string {
  if (nvidia.cuda) return `CUDA ${nvidia.cudaVersion ?? ''}`.trim();
  if (nvidia.cudaVersion) return `no usable CUDA (toolkit ${nvidia.cudaVersion}, no NVIDIA GPU driver)`;
  return 'no CUDA';
}

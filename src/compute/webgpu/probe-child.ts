/**
 * Child process of the WebGPU probe (probe.ts): loads Dawn, asks for an
 * adapter and prints its facts as one JSON line. Run apart from the daemon so
 * that a Vulkan driver that crashes or hangs costs detection one field, not
 * the process.
 */
import { adapterFacts, WebGpuProbe } from './adapter';
import { firstLine } from '../../util/deepend-error';
import { requestAdapter } from './dawn';

async function main(): Promise<void> {
  let result: WebGpuProbe;
  try {
    result = { adapter: adapterFacts(await requestAdapter()) };
  } catch (err) {
    result = { adapter: null, reason: firstLine(err) };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

void main();

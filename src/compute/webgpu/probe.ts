import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { WebGpuProbe } from './adapter';

/** Set to 'off' to skip the probe (detection then reports no adapter, reason 'probe switched off'). */
export const WEBGPU_PROBE_ENV = 'DEEPEND_WEBGPU_PROBE';
const TIMEOUT_MS = 20_000;

let cached: Promise<WebGpuProbe> | undefined;

function runChild(): Promise<WebGpuProbe> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(__dirname, 'probe-child.js')],
      { timeout: TIMEOUT_MS, maxBuffer: 1 << 20, env: process.env },
      (err, stdout) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          const parsed = JSON.parse(line) as WebGpuProbe;
          if (parsed && 'adapter' in parsed) return resolve(parsed);
        } catch {
          // fall through to the process's own failure
        }
        const e = err as (Error & { killed?: boolean; signal?: string | null }) | null;
        let why = `probe failed: ${e ? e.message.split('\n')[0] : 'no answer'}`;
        if (e?.killed) why = `probe timed out after ${TIMEOUT_MS / 1000} s`;
        else if (e?.signal) why = `probe died with ${e.signal} (the Vulkan driver crashed)`;
        resolve({ adapter: null, reason: why });
      },
    );
  });
}

/**
 * The WebGPU adapter this machine offers, read once per process in a child
 * process (a driver that crashes takes the child down, not the daemon). A
 * driver installed later is seen after a restart.
 */
export function probeWebGpu(env: NodeJS.ProcessEnv = process.env): Promise<WebGpuProbe> {
  if (env[WEBGPU_PROBE_ENV]?.trim().toLowerCase() === 'off')
    return Promise.resolve({ adapter: null, reason: `probe switched off (${WEBGPU_PROBE_ENV}=off)` });
  cached ??= runChild();
  return cached;
}

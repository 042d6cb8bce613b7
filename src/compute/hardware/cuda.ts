import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const NVIDIA_SMI_TIMEOUT_MS = 3000;

/** The "CUDA Version: 12.4" of nvidia-smi's banner (the newest CUDA the driver supports). */
export function parseNvidiaSmiCuda(output: string): string | undefined {
  return /CUDA Version:\s*([\d.]+)/.exec(output)?.[1];
}

/** version.json (CUDA 11+): {"cuda": {"version": "12.2.140"}}; version.txt (CUDA 10 and older): "CUDA Version 10.2.300". */
export function parseCudaToolkitVersion(text: string): string | undefined {
  try {
    const version = (JSON.parse(text) as { cuda?: { version?: unknown } }).cuda?.version;
    if (typeof version === 'string') return version;
  } catch {
    // not JSON: try the older text file format
  }
  return /CUDA Version\s+([\d.]+)/.exec(text)?.[1];
}

/**
 * nvidia-smi's output, or undefined when it is missing, fails or hangs. The
 * second timer is ours: an nvidia-smi stuck in the kernel (a GPU that fell off
 * the bus) does not die even on SIGKILL, and execFile waits for its exit.
 */
function runNvidiaSmi(timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs + 500);
    timer.unref();
    execFile('nvidia-smi', [], { timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout) => {
      clearTimeout(timer);
      resolve(err ? undefined : String(stdout));
    });
  });
}

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The CUDA version on this machine, or undefined. A missing, hanging or failing
 * nvidia-smi never fails detection: it only means the toolkit files are consulted.
 */
export async function probeCudaVersion(
  cudaHome = process.env.CUDA_HOME ?? '/usr/local/cuda',
  smiTimeoutMs = NVIDIA_SMI_TIMEOUT_MS,
): Promise<string | undefined> {
  const smi = await runNvidiaSmi(smiTimeoutMs);
  const fromDriver = smi === undefined ? undefined : parseNvidiaSmiCuda(smi);
  if (fromDriver) return fromDriver;
  for (const name of ['version.json', 'version.txt']) {
    const text = await readOptional(`${cudaHome}/${name}`);
    const version = text === undefined ? undefined : parseCudaToolkitVersion(text);
    if (version) return version;
  }
  return undefined;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { computeFacts, readRawHardware } from '../src/compute/detect';
import { parseCudaToolkitVersion, parseNvidiaSmiCuda, probeCudaVersion } from '../src/compute/hardware/cuda';
import { detectJetson, parseL4tRelease } from '../src/compute/hardware/jetson';
import { normaliseGpuVendor, productName } from '../src/compute/hardware/vendor';
import { rawHardware } from './helpers/hardware';

const GB = 1e9;

test('this machine (recorded): 2-core AMD EPYC, no GPU, no CUDA, no Jetson', () => {
  const facts = computeFacts(rawHardware('this-machine'), 'wasm');
  assert.equal(facts.cpu.model, 'AMD EPYC');
  assert.equal(facts.cpu.cores, 2);
  assert.ok(facts.cpu.flags.includes('avx2'));
  assert.deepEqual(facts.gpus, []);
  assert.deepEqual(facts.nvidia, { cuda: false });
  assert.equal(facts.jetson, undefined);
  assert.equal(facts.unifiedMemory, false);
  assert.equal(facts.backend, 'wasm');
  assert.equal(facts.arch, 'x64');
});

test('x86 RTX 4090 box: NVIDIA first with its nvidia-smi memory, the iGPU as AMD, driver and CUDA 12.4', () => {
  const facts = computeFacts(rawHardware('x86-rtx4090'), 'tensorflow');
  assert.equal(facts.cpu.model, 'AMD Ryzen 9 7950X 16-Core Processor');
  assert.equal(facts.cpu.cores, 32);
  assert.deepEqual(facts.gpus, [
    { vendor: 'NVIDIA', model: 'GeForce RTX 4090', vramBytes: 24564 * 1024 * 1024 },
    { vendor: 'AMD', model: 'Raphael', vramBytes: 256 * 1024 * 1024 },
  ]);
  assert.deepEqual(facts.nvidia, { driver: '550.54.14', cuda: true, cudaVersion: '12.4' });
  assert.equal(facts.jetson, undefined);
  assert.equal(facts.unifiedMemory, false);
});

test('Jetson Orin Nano 8GB: board, L4T 36.3.0, integrated GPU with the shared system memory, CUDA', () => {
  const raw = rawHardware('jetson-orin-nano-8gb');
  const facts = computeFacts(raw, 'wasm');
  assert.equal(facts.cpu.model, 'Cortex-A78AE');
  assert.equal(facts.cpu.cores, 6);
  assert.deepEqual(facts.jetson, { model: 'Jetson Orin Nano', l4t: '36.3.0' });
  assert.equal(facts.unifiedMemory, true);
  assert.deepEqual(facts.gpus, [{ vendor: 'NVIDIA', model: 'Ampere (ga10b)', vramBytes: raw.mem.total }]);
  assert.deepEqual(facts.nvidia, { cuda: true, cudaVersion: '12.2.140' });
  assert.equal(facts.arch, 'arm64');
});

test('Jetson AGX Orin 64GB: board, L4T 35.4.1, 12 cores, 65.9 GB shared, CUDA 11.4', () => {
  const facts = computeFacts(rawHardware('jetson-agx-orin-64gb'), 'wasm');
  assert.deepEqual(facts.jetson, { model: 'Jetson AGX Orin', l4t: '35.4.1' });
  assert.equal(facts.cpu.cores, 12);
  assert.equal(facts.gpus.length, 1);
  assert.equal(facts.gpus[0].vramBytes, facts.memoryBytes);
  assert.ok(facts.memoryBytes > 60 * GB);
  assert.equal(facts.nvidia.cuda, true);
});

test('a Jetson GPU that systeminformation does list (vram 0 or null) is not doubled and gets the shared memory', () => {
  for (const vram of [0, null]) {
    const raw = rawHardware('jetson-orin-nano-8gb');
    raw.graphics.controllers = [{ vendor: 'NVIDIA', model: 'Orin (nvgpu)', vram }];
    const facts = computeFacts(raw, 'wasm');
    assert.deepEqual(facts.gpus, [{ vendor: 'NVIDIA', model: 'Orin (nvgpu)', vramBytes: raw.mem.total }]);
  }
});

test('device-tree names: Orin Nano before Nano, Xavier NX before AGX Xavier; nv_tegra_release alone is enough', () => {
  const board = (model: string) => detectJetson(`${model}\0`, undefined)?.model;
  assert.equal(board('NVIDIA Jetson Orin Nano Developer Kit'), 'Jetson Orin Nano');
  assert.equal(board('NVIDIA Jetson Orin Nano Engineering Reference Developer Kit Super'), 'Jetson Orin Nano');
  assert.equal(board('NVIDIA Jetson AGX Orin Developer Kit'), 'Jetson AGX Orin');
  assert.equal(board('NVIDIA Jetson Orin NX Engineering Reference Developer Kit'), 'Jetson Orin NX');
  assert.equal(board('NVIDIA Jetson Xavier NX Developer Kit'), 'Jetson Xavier NX');
  assert.equal(board('NVIDIA Jetson AGX Xavier Developer Kit'), 'Jetson AGX Xavier');
  assert.equal(board('NVIDIA Jetson Nano Developer Kit'), 'Jetson Nano');
  assert.equal(board('NVIDIA Jetson TX2'), 'Jetson TX2');
  assert.equal(detectJetson('Raspberry Pi 4 Model B Rev 1.4', undefined), undefined);
  assert.equal(detectJetson(undefined, undefined), undefined);
  assert.deepEqual(detectJetson('p3768-0000+p3767-0005', '# R36 (release), REVISION: 4.0, GCID: 1'), {
    model: 'p3768-0000+p3767-0005',
    gpu: 'Tegra integrated GPU',
    l4t: '36.4.0',
  });
  assert.equal(parseL4tRelease('# R32 (release), REVISION: 7.4, GCID: 33514132, BOARD: t210ref'), '32.7.4');
  assert.equal(parseL4tRelease('garbage'), undefined);
});

test('vendors and product names are normalised; display-only adapters are not GPUs', () => {
  assert.equal(normaliseGpuVendor('NVIDIA Corporation'), 'NVIDIA');
  assert.equal(normaliseGpuVendor('Advanced Micro Devices, Inc. [AMD/ATI]'), 'AMD');
  assert.equal(normaliseGpuVendor('Intel Corporation'), 'Intel');
  assert.equal(normaliseGpuVendor('Apple'), 'Apple');
  assert.equal(normaliseGpuVendor('', 'NVIDIA GeForce RTX 3060'), 'NVIDIA');
  assert.equal(normaliseGpuVendor('Broadcom'), 'Broadcom');
  assert.equal(productName('AD102 [GeForce RTX 4090]'), 'GeForce RTX 4090');
  assert.equal(productName('[AMD/ATI] Navi 31 [Radeon RX 7900 XTX]'), 'Radeon RX 7900 XTX');
  assert.equal(productName('Raptor Lake-S GT1 [UHD Graphics 770]'), 'UHD Graphics 770');
  assert.equal(productName('Apple M2 Pro'), 'Apple M2 Pro');
  const raw = rawHardware('this-machine');
  raw.graphics.controllers = [
    { vendor: 'ASPEED Technology, Inc.', model: 'ASPEED Graphics Family', vram: null },
    { vendor: 'Cirrus Logic', model: 'GD 5446', vram: 16 },
  ];
  assert.deepEqual(computeFacts(raw, 'wasm').gpus, []);
});

test('an NVIDIA card without a driver: VRAM unknown (lspci gives an aperture) and no usable CUDA', () => {
  const raw = rawHardware('x86-rtx4090');
  raw.graphics.controllers = [{ vendor: 'NVIDIA Corporation', model: 'AD102 [GeForce RTX 4090]', vram: 32768 }];
  raw.cudaVersion = '12.4.131';
  const facts = computeFacts(raw, 'wasm');
  assert.deepEqual(facts.gpus, [{ vendor: 'NVIDIA', model: 'GeForce RTX 4090', vramBytes: null }]);
  assert.deepEqual(facts.nvidia, { cuda: false, cudaVersion: '12.4.131' });
});

test('a CUDA toolkit without an NVIDIA GPU is not CUDA this device can use', () => {
  const raw = rawHardware('this-machine');
  raw.cudaVersion = '13.0.85';
  assert.equal(computeFacts(raw, 'wasm').nvidia.cuda, false);
});

test('Apple silicon: unified memory, the GPU has the system memory', () => {
  const raw = rawHardware('this-machine');
  raw.osInfo = { platform: 'darwin', arch: 'arm64', release: '14.5' };
  raw.graphics.controllers = [{ vendor: 'Apple', model: 'Apple M2 Pro', vram: null }];
  const facts = computeFacts(raw, 'wasm');
  assert.equal(facts.unifiedMemory, true);
  assert.deepEqual(facts.gpus, [{ vendor: 'Apple', model: 'Apple M2 Pro', vramBytes: raw.mem.total }]);
});

test('CUDA versions: nvidia-smi banner, version.json, version.txt', () => {
  assert.equal(
    parseNvidiaSmiCuda('| NVIDIA-SMI 550.54.14    Driver Version: 550.54.14    CUDA Version: 12.4     |'),
    '12.4',
  );
  assert.equal(
    parseNvidiaSmiCuda('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.'),
    undefined,
  );
  assert.equal(parseCudaToolkitVersion('{"cuda": {"name": "CUDA SDK", "version": "12.2.140"}}'), '12.2.140');
  assert.equal(parseCudaToolkitVersion('CUDA Version 10.2.300\n'), '10.2.300');
  assert.equal(parseCudaToolkitVersion('{"nvcc": {}}'), undefined);
});

/** Runs `probe` with a fake nvidia-smi first on PATH. */
async function withFakeNvidiaSmi<T>(script: string, probe: () => Promise<T>): Promise<T> {
  const bin = mkdtempSync(join(tmpdir(), 'deepend-smi-'));
  writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, 'nvidia-smi'), 0o755);
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  try {
    return await probe();
  } finally {
    process.env.PATH = saved;
  }
}

test('the CUDA probe prefers nvidia-smi, falls back to the toolkit files, and survives a failing or hanging nvidia-smi', {
  skip: process.platform === 'win32',
}, async () => {
  const cudaHome = mkdtempSync(join(tmpdir(), 'deepend-cuda-'));
  writeFileSync(join(cudaHome, 'version.json'), '{"cuda": {"version": "12.2.140"}}');
  const banner = 'echo "| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14   CUDA Version: 12.4 |"';
  assert.equal(await withFakeNvidiaSmi(banner, () => probeCudaVersion(cudaHome)), '12.4');
  assert.equal(
    await withFakeNvidiaSmi('echo "no devices were found" >&2; exit 9', () => probeCudaVersion(cudaHome)),
    '12.2.140',
  );
  // The fake hangs for 20 s and the probe gives up after 300 ms (800 ms at most): anything well under
  // the hang shows detection did not wait for it, however loaded the machine is.
  const started = Date.now();
  assert.equal(await withFakeNvidiaSmi('sleep 20', () => probeCudaVersion(cudaHome, 300)), '12.2.140');
  assert.ok(Date.now() - started < 10_000, `a hanging nvidia-smi held detection for ${Date.now() - started} ms`);
  // Killed, but a child still holds its stdout open: detection must not wait for it.
  const stubborn = Date.now();
  assert.equal(await withFakeNvidiaSmi('sleep 20 & wait', () => probeCudaVersion(cudaHome, 300)), '12.2.140');
  assert.ok(
    Date.now() - stubborn < 10_000,
    `an nvidia-smi whose child holds stdout held detection for ${Date.now() - stubborn} ms`,
  );
  assert.equal(await withFakeNvidiaSmi('exit 1', () => probeCudaVersion(join(cudaHome, 'missing'))), undefined);
});

test('readRawHardware on this machine: the RawHardware shape, agreeing with node:os', async () => {
  const raw = await readRawHardware();
  assert.equal(raw.cpu.cores, cpus().length);
  assert.equal(raw.mem.total, totalmem());
  assert.equal(typeof raw.cpu.flags, 'string');
  assert.ok(Array.isArray(raw.graphics.controllers));
  assert.equal(raw.osInfo.platform, process.platform);
  for (const key of Object.keys(raw))
    assert.ok(
      ['cpu', 'mem', 'graphics', 'osInfo', 'deviceTreeModel', 'tegraRelease', 'cudaVersion', 'webgpu'].includes(key),
      key,
    );
  const facts = computeFacts(raw, 'wasm');
  assert.equal(facts.cpu.cores, cpus().length);
});

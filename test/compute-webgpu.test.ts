import { test } from 'node:test';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { computeFacts, computeFingerprint } from '../src/compute/detect';
import { describeFacts } from '../src/compute/hardware/describe';
import { adapterFacts, describeAdapter, isSoftwareAdapter, WebGpuProbe } from '../src/compute/webgpu/adapter';
import { probeWebGpu } from '../src/compute/webgpu/probe';
import { requestAdapter } from '../src/compute/webgpu/dawn';
import { checkConditions } from '../src/policy/match';
import { rawHardware } from './helpers/hardware';
import { webgpuSkipReason } from './helpers/webgpu';

const LAVAPIPE: WebGpuProbe = {
  adapter: {
    vendor: 'mesa',
    architecture: 'software',
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
    isFallbackAdapter: true,
    software: true,
  },
};

const RTX: WebGpuProbe = {
  adapter: {
    vendor: 'nvidia',
    architecture: 'ada-lovelace',
    device: '',
    description: 'NVIDIA GeForce RTX 4090',
    isFallbackAdapter: false,
    software: false,
  },
};

test('a software WebGPU adapter (lavapipe) is reported but never counts as a GPU for the policy', () => {
  const raw = { ...rawHardware('this-machine'), webgpu: LAVAPIPE };
  const facts = computeFacts(raw, 'wasm');
  assert.deepEqual(facts.gpus, []);
  assert.deepEqual(facts.webgpu, LAVAPIPE);
  const [gpu] = checkConditions({ gpu: true }, facts);
  assert.equal(gpu.ok, false);
  const row = describeFacts(facts).find(([label]) => label === 'webgpu');
  assert.ok(row, 'describeFacts has a webgpu row');
  assert.match(
    row[1],
    /llvmpipe: Mesa 25\.0\.7.*architecture software, fallback adapter; software: not counted as a GPU/,
  );
  // The probe result is not part of the fingerprint: a flaky probe must not look like new hardware.
  assert.equal(computeFingerprint(facts), computeFingerprint(computeFacts(rawHardware('this-machine'), 'wasm')));
});

test('a hardware WebGPU adapter no controller lists becomes a GPU (memory unknown); a listed vendor is not doubled', () => {
  const bare = computeFacts({ ...rawHardware('this-machine'), webgpu: RTX }, 'wasm');
  assert.deepEqual(bare.gpus, [{ vendor: 'NVIDIA', model: 'NVIDIA GeForce RTX 4090', vramBytes: null }]);
  assert.equal(checkConditions({ gpu: true }, bare)[0].ok, true);
  const listed = computeFacts({ ...rawHardware('x86-rtx4090'), webgpu: RTX }, 'tensorflow');
  assert.equal(listed.gpus.filter((g) => g.vendor === 'NVIDIA').length, 1);
});

test('software adapters are recognised by the fallback flag, the architecture or the driver name', () => {
  const base = { vendor: 'x', architecture: '', device: '', description: '', isFallbackAdapter: false };
  assert.equal(isSoftwareAdapter(base), false);
  assert.equal(isSoftwareAdapter({ ...base, isFallbackAdapter: true }), true);
  assert.equal(isSoftwareAdapter({ ...base, architecture: 'cpu' }), true);
  assert.equal(isSoftwareAdapter({ ...base, description: 'SwiftShader Device (Subzero)' }), true);
  assert.equal(
    describeAdapter({ adapter: null, reason: 'the optional package webgpu (Dawn) is not installed' }),
    'none (the optional package webgpu (Dawn) is not installed)',
  );
});

test('on this machine Dawn finds lavapipe and detection reports it as software', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const probe = await probeWebGpu();
  assert.ok(probe.adapter, 'probe found an adapter');
  const direct = adapterFacts(await requestAdapter());
  assert.deepEqual(probe.adapter, direct, 'the child-process probe and an in-process adapter agree');
  if (/llvmpipe/.test(direct.description)) {
    assert.equal(direct.software, true);
    assert.equal(direct.architecture, 'software');
    assert.equal(direct.isFallbackAdapter, true);
  }
  t.diagnostic(`adapter: ${describeAdapter(probe)}`);
});

test('with no Vulkan driver the probe answers why, in one line (its reason once overflowed the stack)', async (t) => {
  const skip = await webgpuSkipReason();
  if (skip) return t.skip(skip);
  const none = join(tmpdir(), 'deepend-no-such-icd.json');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(__dirname, '..', 'src', 'compute', 'webgpu', 'probe-child.js')],
    { env: { ...process.env, VK_ICD_FILENAMES: none, VK_DRIVER_FILES: none }, timeout: 60_000 },
  );
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop() ?? ''), {
    adapter: null,
    reason: 'Dawn found no WebGPU adapter (no Vulkan driver Dawn accepts: see docs/design/gpu.md)',
  });
});

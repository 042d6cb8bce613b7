import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeFacts, computeFingerprint, RawHardware } from '../src/compute/detect';
import { HardwareFixture, rawHardware } from './helpers/hardware';

function fingerprint(raw: RawHardware, backend = 'wasm'): string {
  return computeFingerprint(computeFacts(raw, backend));
}

function edited(name: HardwareFixture, edit: (raw: RawHardware) => void): RawHardware {
  const raw = rawHardware(name);
  edit(raw);
  return raw;
}

const RTX = {
  vendor: 'NVIDIA Corporation',
  model: 'AD102 [GeForce RTX 4090]',
  vram: 24564,
  driverVersion: '550.54.14',
};

test('the four machines have four different fingerprints, each a sha256 hex', () => {
  const names: HardwareFixture[] = ['this-machine', 'x86-rtx4090', 'jetson-orin-nano-8gb', 'jetson-agx-orin-64gb'];
  const prints = names.map((n) => fingerprint(rawHardware(n)));
  for (const p of prints) assert.match(p, /^[0-9a-f]{64}$/);
  assert.equal(new Set(prints).size, names.length);
  assert.equal(fingerprint(rawHardware('x86-rtx4090')), fingerprint(rawHardware('x86-rtx4090')));
});

test('irrelevant changes keep the fingerprint', () => {
  const irrelevant: [string, HardwareFixture, (raw: RawHardware) => void][] = [
    ['MemTotal moves by 40 MB (new kernel)', 'this-machine', (r) => (r.mem.total -= 40e6)],
    [
      'driver patch release 550.54.14 -> 550.67',
      'x86-rtx4090',
      (r) => (r.graphics.controllers[0].driverVersion = '550.67'),
    ],
    ['CUDA minor 12.4 -> 12.5 under the same driver major', 'x86-rtx4090', (r) => (r.cudaVersion = '12.5')],
    ['OS release upgrade', 'this-machine', (r) => (r.osInfo.release = '13')],
    ['a mitigation flag appears', 'this-machine', (r) => (r.cpu.flags += ' md_clear ibpb')],
    ['flags in another order', 'this-machine', (r) => (r.cpu.flags = r.cpu.flags.split(' ').reverse().join(' '))],
    ['controllers listed in another order', 'x86-rtx4090', (r) => r.graphics.controllers.reverse()],
    [
      'a BMC display adapter shows up',
      'x86-rtx4090',
      (r) =>
        r.graphics.controllers.push({ vendor: 'ASPEED Technology, Inc.', model: 'ASPEED Graphics Family', vram: null }),
    ],
    [
      'L4T point release 36.3 -> 36.4',
      'jetson-orin-nano-8gb',
      (r) => (r.tegraRelease = '# R36 (release), REVISION: 4.0, GCID: 37537400, BOARD: generic'),
    ],
    ['device-tree string with its trailing NUL', 'jetson-orin-nano-8gb', (r) => (r.deviceTreeModel += '\0')],
    ['physical core count reported differently', 'x86-rtx4090', (r) => (r.cpu.physicalCores = 32)],
  ];
  for (const [why, name, edit] of irrelevant) {
    assert.equal(fingerprint(edited(name, edit)), fingerprint(rawHardware(name)), why);
  }
});

test('relevant changes change the fingerprint', () => {
  const relevant: [string, HardwareFixture, (raw: RawHardware) => void][] = [
    ['a GPU is added', 'this-machine', (r) => r.graphics.controllers.push(RTX)],
    [
      'the GPU is swapped for a smaller one',
      'x86-rtx4090',
      (r) => (r.graphics.controllers[0] = { ...RTX, model: 'AD104 [GeForce RTX 4070]', vram: 12282 }),
    ],
    ['the NVIDIA driver major changes', 'x86-rtx4090', (r) => (r.graphics.controllers[0].driverVersion = '555.42.02')],
    ['CUDA disappears', 'x86-rtx4090', (r) => delete r.cudaVersion],
    ['CUDA major changes', 'jetson-agx-orin-64gb', (r) => (r.cudaVersion = '12.2.140')],
    ['cores change (VM resized)', 'this-machine', (r) => (r.cpu.cores = 4)],
    ['memory grows by 8 GB', 'this-machine', (r) => (r.mem.total += 8 * 1024 ** 3)],
    ['AVX-512 hidden by the hypervisor', 'this-machine', (r) => (r.cpu.flags = r.cpu.flags.replace(/\bavx512f\b/, ''))],
    ['another CPU model', 'this-machine', (r) => (r.cpu.brand = 'EPYC 9654')],
    [
      'L4T major upgrade (JetPack 5 -> 6)',
      'jetson-agx-orin-64gb',
      (r) => (r.tegraRelease = '# R36 (release), REVISION: 3.0, GCID: 36191598'),
    ],
    [
      'the module is swapped (Orin Nano -> Orin NX)',
      'jetson-orin-nano-8gb',
      (r) => (r.deviceTreeModel = 'NVIDIA Jetson Orin NX Engineering Reference Developer Kit'),
    ],
  ];
  for (const [why, name, edit] of relevant) {
    assert.notEqual(fingerprint(edited(name, edit)), fingerprint(rawHardware(name)), why);
  }
});

test('the backend is part of the fingerprint: the native package loading after an install is a change', () => {
  const raw = rawHardware('x86-rtx4090');
  assert.notEqual(fingerprint(raw, 'tensorflow'), fingerprint(raw, 'wasm'));
  assert.notEqual(fingerprint(raw, 'wasm'), fingerprint(raw, 'cpu'));
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { computeFacts } from '../src/compute/detect';
import { loadPolicy, matchRule, Policy, PolicyRule } from '../src/policy';
import { HardwareFixture, rawHardware } from './helpers/hardware';

const POLICIES = resolve(__dirname, '../../policies');
const policies: Record<string, Policy> = Object.fromEntries(
  ['default', 'jetson', 'gpu-box'].map((n) => [n, loadPolicy(join(POLICIES, `${n}.yaml`))]),
);

type Expected = [rule: string, targetDepth: number, method: string, automatic: boolean];

/** Policy x machine x backend -> the decision. Jetsons load wasm (no arm64 CUDA libtensorflow); the RTX box both ways. */
const DECISIONS: [policy: string, machine: HardwareFixture, backend: string, expected: Expected][] = [
  ['default', 'this-machine', 'wasm', ['cpu', 4, 'dils', true]],
  ['default', 'this-machine', 'cpu', ['plain-js-manual', 4, 'dils', false]],
  ['default', 'x86-rtx4090', 'tensorflow', ['nvidia-gpu', 8, 'dils', true]],
  ['default', 'x86-rtx4090', 'wasm', ['cpu-many-cores', 6, 'dils', true]],
  ['default', 'jetson-orin-nano-8gb', 'wasm', ['jetson', 6, 'dils', true]],
  ['default', 'jetson-agx-orin-64gb', 'wasm', ['jetson-large', 8, 'dils', true]],
  ['jetson', 'this-machine', 'wasm', ['not-a-jetson', 4, 'dils', false]],
  ['jetson', 'x86-rtx4090', 'tensorflow', ['not-a-jetson', 4, 'dils', false]],
  ['jetson', 'jetson-orin-nano-8gb', 'wasm', ['orin-nano-nx', 6, 'dils', true]],
  ['jetson', 'jetson-agx-orin-64gb', 'wasm', ['agx-orin', 10, 'dils', true]],
  ['gpu-box', 'this-machine', 'wasm', ['cpu', 4, 'dils', true]],
  ['gpu-box', 'x86-rtx4090', 'tensorflow', ['large-gpu', 16, 'dils', true]],
  ['gpu-box', 'x86-rtx4090', 'wasm', ['gpu-not-in-use', 4, 'dils', false]],
  ['gpu-box', 'jetson-orin-nano-8gb', 'wasm', ['cpu', 4, 'dils', true]],
  ['gpu-box', 'jetson-agx-orin-64gb', 'wasm', ['cpu', 4, 'dils', true]],
];

test('the recorded machines get the expected rule, depth, method and automatic flag', () => {
  for (const [policy, machine, backend, expected] of DECISIONS) {
    const { rule } = matchRule(policies[policy], computeFacts(rawHardware(machine), backend));
    assert.ok(rule, `${policy} / ${machine} / ${backend}: no rule`);
    assert.deepEqual(
      [rule.name, rule.targetDepth, rule.method, rule.automatic],
      expected,
      `${policy} / ${machine} / ${backend}`,
    );
  }
});

test("this machine under default.yaml: the main job's upgrade, depth 2 -> 4 in one job of a minute, no window", () => {
  const { rule, index, explanation } = matchRule(policies.default, computeFacts(rawHardware('this-machine'), 'wasm'));
  assert.equal(index, 4);
  assert.deepEqual(rule, {
    name: 'cpu',
    match: { backend: ['tensorflow', 'wasm'] },
    targetDepth: 4,
    method: 'dils',
    denseMethod: 'identity',
    maxStep: 2,
    budget: { minutes: 1 },
    gate: { minGain: 0.001, minAccuracy: 0.9 },
    automatic: true,
  });
  assert.equal(explanation.length, 5);
  assert.match(
    explanation[0],
    /^rules\[0\] 'nvidia-gpu' does not match: gpu: a GPU required, found no GPU; .*backend: backend tensorflow required, loaded wasm$/,
  );
  assert.match(
    explanation[1],
    /'jetson-large' does not match: .*unifiedMemory: unified memory required, this device has none; minCores: >= 8 cores required, found 2/,
  );
  assert.match(explanation[3], /^rules\[3\] 'cpu-many-cores' does not match: minCores: >= 8 cores required, found 2$/);
  assert.equal(explanation[4], "rules[4] 'cpu' matches: backend: backend tensorflow or wasm required, loaded wasm");
});

test('the windows of the examples', () => {
  const window = (p: string, m: HardwareFixture, b: string) =>
    matchRule(policies[p], computeFacts(rawHardware(m), b)).rule?.window;
  assert.equal(window('jetson', 'jetson-agx-orin-64gb', 'wasm'), '* 1-4 * * *');
  assert.equal(window('gpu-box', 'x86-rtx4090', 'tensorflow'), '* 0-5 * * *');
  assert.equal(window('default', 'x86-rtx4090', 'tensorflow'), undefined);
});

function rule(name: string, match: PolicyRule['match']): PolicyRule {
  return {
    name,
    match,
    targetDepth: 4,
    method: 'dils',
    maxStep: 1,
    budget: { minutes: 1 },
    gate: { minGain: 0, minAccuracy: 0 },
    automatic: true,
  };
}

test('vendor and minVramGB hold for the same GPU: the RTX box has no AMD GPU with 8 GB', () => {
  const facts = computeFacts(rawHardware('x86-rtx4090'), 'tensorflow');
  const m = matchRule(
    {
      rules: [
        rule('amd-8gb', { vendor: 'AMD', minVramGB: 8 }),
        rule('amd', { vendor: 'amd' }),
        rule('any-24gb', { minVramGB: 24 }),
      ],
    },
    facts,
  );
  assert.equal(m.rule?.name, 'amd');
  assert.match(
    m.explanation[0],
    /minVramGB: AMD GPU with >= 8 GB required, found NVIDIA GeForce RTX 4090 \(25\.76 GB\), AMD Raphael \(0\.27 GB\)/,
  );
  assert.equal(matchRule({ rules: [rule('any-24gb', { minVramGB: 24 })] }, facts).rule?.name, 'any-24gb');
});

test('GB means 10^9 bytes: an "8 GB" Orin Nano has 7.99 GB and misses minMemoryGB 8', () => {
  const facts = computeFacts(rawHardware('jetson-orin-nano-8gb'), 'wasm');
  const m = matchRule({ rules: [rule('8', { minMemoryGB: 8 }), rule('7', { minMemoryGB: 7 })] }, facts);
  assert.equal(m.rule?.name, '7');
  assert.match(m.explanation[0], />= 8 GB memory required, found 7\.99 GB/);
});

test('unknown VRAM never satisfies minVramGB; gpu: false matches machines without one', () => {
  const raw = rawHardware('x86-rtx4090');
  raw.graphics.controllers = [{ vendor: 'NVIDIA Corporation', model: 'AD102 [GeForce RTX 4090]', vram: 32768 }];
  const facts = computeFacts(raw, 'wasm');
  assert.equal(matchRule({ rules: [rule('vram', { minVramGB: 1 })] }, facts).rule, null);
  assert.equal(
    matchRule({ rules: [rule('no-gpu', { gpu: false })] }, computeFacts(rawHardware('this-machine'), 'wasm')).rule
      ?.name,
    'no-gpu',
  );
});

test('no rule matches: null, index -1, and the explanation says so', () => {
  const m = matchRule({ rules: [rule('gpu', { gpu: true })] }, computeFacts(rawHardware('this-machine'), 'wasm'));
  assert.equal(m.rule, null);
  assert.equal(m.index, -1);
  assert.deepEqual(m.explanation, [
    "rules[0] 'gpu' does not match: gpu: a GPU required, found no GPU",
    'no rule matches: this device gets no upgrades from this policy',
  ]);
});

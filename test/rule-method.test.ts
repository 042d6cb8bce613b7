import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ArchSpec, Block } from '../src/model/arch';
import type { PolicyRule } from '../src/policy/types';
import type { ModelVersionRow } from '../src/store/types';
import { ruleMethodFor } from '../src/jobs/rule-method';
import { MINUTES_EPOCH_CAP, planUpgrade } from '../src/jobs/plan';
import { loadPolicy } from '../src/policy/load';
import { DEFAULT_POLICY_FILE } from '../src/policy/default-file';

const rule: PolicyRule = {
  name: 'r',
  match: {},
  targetDepth: 4,
  method: 'dils',
  denseMethod: 'identity',
  maxStep: 2,
  budget: { minutes: 1 },
  gate: { minGain: 0.001, minAccuracy: 0 },
  automatic: false,
};

const dense = (name: string, activation: 'relu' | 'nonlinear'): Block => ({
  kind: 'dense',
  name,
  units: 16,
  activation,
});
const conv = (name: string): Block => ({
  kind: 'conv',
  name,
  filters: 8,
  kernel: 3,
  batchNorm: false,
  activation: 'relu',
  poolAfter: false,
});
const arch = (family: ArchSpec['family'], blocks: Block[]): ArchSpec => ({
  family,
  inputShape: family === 'mlp' ? [12] : [28, 28, 1],
  classes: 4,
  blocks,
  nextBlockId: blocks.length,
});
/** An imported Dense unit ending in ELU: identity would not be exact after it. */
const eluUnit: Block = {
  kind: 'dense',
  name: 'hidden',
  units: 16,
  activation: 'nonlinear',
  keras: { layers: [{ className: 'Dense', config: { name: 'hidden', units: 16, activation: 'elu' } }] },
};

test('denseMethod grows an MLP; a conv or mixed chain grows with method', () => {
  const mlp = ruleMethodFor(rule, arch('mlp', [dense('b0', 'relu')]));
  assert.equal(mlp.method, 'identity');
  assert.match(mlp.reason!, /every growth site is a Dense layer \(rule r's denseMethod\)/);
  assert.deepEqual(ruleMethodFor(rule, arch('conv', [conv('b0'), conv('b1')])), { method: 'dils' });
  assert.deepEqual(ruleMethodFor(rule, arch('keras', [conv('b0'), dense('b1', 'relu')])), { method: 'dils' });
  assert.deepEqual(ruleMethodFor({ ...rule, denseMethod: undefined }, arch('mlp', [dense('b0', 'relu')])), {
    method: 'dils',
  });
  assert.deepEqual(ruleMethodFor(rule, undefined), { method: 'dils' });
});

test('a head with no hidden layer grows after the Dense one it first gets: denseMethod, unless its output is no Dense', () => {
  const head = (className: string): ArchSpec => ({
    ...arch('keras', []),
    chain: [
      { layer: { className: 'GlobalAveragePooling2D', config: { name: 'pool' } } },
      { layer: { className, config: { name: 'scores' } } },
    ],
  });
  const chosen = ruleMethodFor(rule, head('Dense'));
  assert.equal(chosen.method, 'identity');
  assert.match(chosen.reason!, /the one growth site is the Dense first hidden layer the head gets/);
  assert.deepEqual(ruleMethodFor(rule, head('Conv2D')), { method: 'dils' });
});

test('denseMethod identity where identity is not exact: the rule method grows, and the reason names the unit', () => {
  const chosen = ruleMethodFor(rule, arch('keras', [eluUnit]));
  assert.equal(chosen.method, 'dils');
  assert.match(
    chosen.reason!,
    /^denseMethod identity not used: identity insertion is exact only after ReLU.*hidden ends in Dense \(elu\)/,
  );
  assert.equal(ruleMethodFor({ ...rule, denseMethod: 'lookahead' }, arch('keras', [eluUnit])).method, 'lookahead');
});

test("planUpgrade: the rule's method for the model's sites, recorded with its reason; a request's method wins", () => {
  const committed: ModelVersionRow = {
    name: 'm',
    version: 1,
    parent: null,
    depth: 1,
    method: null,
    sha256: 'x',
    metrics: {},
    dir: '/nonexistent',
    createdAt: '',
    committed: true,
    committedAt: '',
    quarantined: null,
  };
  const mlp = arch('mlp', [dense('b0', 'relu')]);
  const planned = planUpgrade(committed, rule, { trigger: 'manual' }, 1, mlp);
  assert.ok('plan' in planned, JSON.stringify(planned));
  assert.equal(planned.plan.method, 'identity');
  assert.match(planned.plan.methodReason!, /Dense layer/);
  const asked = planUpgrade(committed, rule, { trigger: 'manual', method: 'dils' }, 1, mlp);
  assert.ok('plan' in asked);
  assert.equal(asked.plan.method, 'dils');
  assert.equal(asked.plan.methodReason, undefined);
  // minutes alone: at most MINUTES_EPOCH_CAP epochs; the rule's own epochs win; neither: the fallback
  assert.deepEqual(planned.plan.budget, { seconds: 60, epochs: MINUTES_EPOCH_CAP });
  const withEpochs = planUpgrade(
    committed,
    { ...rule, budget: { minutes: 1, epochs: 200 } },
    { trigger: 'manual' },
    1,
    mlp,
  );
  assert.ok('plan' in withEpochs);
  assert.deepEqual(withEpochs.plan.budget, { seconds: 60, epochs: 200 });
  const epochsOnly = planUpgrade(committed, { ...rule, budget: { epochs: 5 } }, { trigger: 'manual' }, 1, mlp);
  assert.ok('plan' in epochsOnly);
  assert.deepEqual(epochsOnly.plan.budget, { seconds: undefined, epochs: 5 });
});

test('the shipped policies grow dense sites with identity', () => {
  for (const r of loadPolicy(DEFAULT_POLICY_FILE).rules) {
    assert.equal(r.method, 'dils', r.name);
    assert.equal(r.denseMethod, 'identity', r.name);
  }
});

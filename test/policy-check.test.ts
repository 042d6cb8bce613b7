import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkPolicy, describeDecision, formatProblem, loadPolicy, PolicyError } from '../src/policy';
import { ruleTarget } from '../src/policy/target';
import { decideUpgrade } from '../src/daemon/upgrade-decision';
import { gateSettings } from '../src/policy/gate';
import { retriesOf } from '../src/policy/retries';

const POLICIES = resolve(__dirname, '../../policies');
const dir = mkdtempSync(join(tmpdir(), 'deepend-policy-'));

const GOOD_RULE = [
  '  - name: cpu', //                              line 2
  '    match: { backend: [tensorflow, wasm] }', // line 3
  '    targetDepth: 4', //                         line 4
  '    method: dils', //                           line 5
  '    maxStep: 2', //                             line 6
  '    budget: { minutes: 1 }', //                 line 7
  '    gate:', //                                  line 8
  '      minGain: 0.001', //                       line 9
  '      minAccuracy: 0.9', //                     line 10
  '    automatic: true', //                        line 11
];

function policyFile(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** The good one-rule policy with line `line` (1-based) replaced, or a line inserted after it. */
function variant(name: string, edit: { replace?: [number, string]; insertAfter?: [number, string] }): string {
  const lines = ['rules:', ...GOOD_RULE];
  if (edit.replace) lines[edit.replace[0] - 1] = edit.replace[1];
  if (edit.insertAfter) lines.splice(edit.insertAfter[0], 0, edit.insertAfter[1]);
  return policyFile(name, lines);
}

/** The problems as "line: field: message-start", for compact exact assertions. */
function problems(file: string): { line: number | null; field: string; message: string }[] {
  return checkPolicy(file).map(({ line, field, message }) => ({ line, field, message }));
}

function assertOne(file: string, line: number, field: string, message: RegExp): void {
  const found = problems(file);
  assert.equal(found.length, 1, JSON.stringify(found));
  assert.equal(found[0].line, line, JSON.stringify(found[0]));
  assert.equal(found[0].field, field);
  assert.match(found[0].message, message);
}

test('the shipped policies check clean', () => {
  for (const name of ['default', 'jetson', 'gpu-box']) {
    assert.deepEqual(checkPolicy(join(POLICIES, `${name}.yaml`)).map(formatProblem), [], name);
  }
  assert.deepEqual(problems(variant('good', {})), []);
});

test('YAML syntax error: line and "yaml"', () => {
  assertOne(variant('syntax', { replace: [5, '    method: [dils'] }), 6, 'yaml', /Flow sequence|indent/i);
  assertOne(variant('duplicate-key', { insertAfter: [4, '    targetDepth: 6'] }), 5, 'yaml', /keys must be unique/);
});

test('unknown keys: top level, rule, match, gate', () => {
  assertOne(
    policyFile('unknown-top', ['rules:', ...GOOD_RULE, 'rulez: []']),
    12,
    'rulez',
    /unknown key \(allowed: name, rules\)/,
  );
  assertOne(
    variant('unknown-rule', { insertAfter: [6, '    maxSteps: 3'] }),
    7,
    'rules[0].maxSteps',
    /unknown key \(allowed: name, match, targetDepth/,
  );
  assertOne(
    variant('unknown-match', { replace: [3, '    match: { backend: wasm, cores: 2 }'] }),
    3,
    'rules[0].match.cores',
    /unknown key .*minCores/,
  );
  assertOne(
    variant('unknown-gate', { insertAfter: [10, '      minAcc: 0.5'] }),
    11,
    'rules[0].gate.minAcc',
    /unknown key/,
  );
});

test('wrong types name the type and the value', () => {
  assertOne(
    variant('string-depth', { replace: [4, '    targetDepth: "4"'] }),
    4,
    'rules[0].targetDepth',
    /must be a whole number, got the string '4'/,
  );
  assertOne(
    variant('yes-bool', { replace: [11, '    automatic: yes'] }),
    11,
    'rules[0].automatic',
    /must be true or false, got the string 'yes'/,
  );
  const listGate = ['rules:', ...GOOD_RULE.slice(0, 6), '    gate: [0.001, 0.9]', GOOD_RULE[9]];
  assertOne(policyFile('list-gate', listGate), 8, 'rules[0].gate', /must be a mapping, got a list/);
  assertOne(policyFile('rules-map', ['rules:', '  cpu: {}']), 1, 'rules', /must be a list, got a mapping/);
});

test('bad cron window', () => {
  assertOne(
    variant('cron', { insertAfter: [10, '    window: "61 * * * *"'] }),
    11,
    'rules[0].window',
    /'61 \* \* \* \*' is not a cron expression \(minute '61' is out of range\)/,
  );
  assertOne(
    variant('cron-fields', { insertAfter: [10, '    window: nightly'] }),
    11,
    'rules[0].window',
    /expected 5 or 6 fields/,
  );
  assert.deepEqual(problems(variant('cron-ok', { insertAfter: [10, '    window: "*/5 1-4 * * mon-fri"'] })), []);
});

test('unknown method lists the methods; auto is one', () => {
  assertOne(
    variant('method', { replace: [5, '    method: dills'] }),
    5,
    'rules[0].method',
    /must be one of dils, identity, morphism, lookahead, random, auto, got the string 'dills'/,
  );
  const auto = variant('method-auto', { replace: [5, '    method: auto'] });
  assert.deepEqual(problems(auto), []);
  assert.equal(loadPolicy(auto).rules[0].method, 'auto');
});

test('depth out of range, not whole, step below 1, fractions above 1, empty budget', () => {
  assertOne(
    variant('depth-0', { replace: [4, '    targetDepth: 0'] }),
    4,
    'rules[0].targetDepth',
    /must be >= 1, got 0/,
  );
  assertOne(
    variant('depth-65', { replace: [4, '    targetDepth: 65'] }),
    4,
    'rules[0].targetDepth',
    /must be <= 64, got 65/,
  );
  assertOne(variant('depth-half', { replace: [4, '    targetDepth: 4.5'] }), 4, 'rules[0].targetDepth', /whole number/);
  assertOne(variant('step-0', { replace: [6, '    maxStep: 0'] }), 6, 'rules[0].maxStep', /must be >= 1/);
  assertOne(
    variant('gain', { replace: [9, '      minGain: 1.5'] }),
    9,
    'rules[0].gate.minGain',
    /must be <= 1, got 1.5/,
  );
  assertOne(
    variant('minutes', { replace: [7, '    budget: { minutes: 0 }'] }),
    7,
    'rules[0].budget.minutes',
    /must be > 0/,
  );
  assertOne(
    variant('budget-empty', { replace: [7, '    budget: {}'] }),
    7,
    'rules[0].budget',
    /needs epochs or minutes/,
  );
});

test('gate confidence and maxLoss, retries: ranges, and the defaults a loaded rule gets', () => {
  assertOne(
    variant('confidence-1', { insertAfter: [10, '      confidence: 1'] }),
    11,
    'rules[0].gate.confidence',
    /must be <= 0\.9999, got 1/,
  );
  assertOne(
    variant('confidence-low', { insertAfter: [10, '      confidence: 0.4'] }),
    11,
    'rules[0].gate.confidence',
    /must be >= 0\.5, got 0\.4/,
  );
  assertOne(
    variant('max-loss', { insertAfter: [10, '      maxLoss: -0.01'] }),
    11,
    'rules[0].gate.maxLoss',
    /must be >= 0, got -0\.01/,
  );
  assertOne(variant('retries', { insertAfter: [11, '    retries: 1.5'] }), 12, 'rules[0].retries', /whole number/);
  assertOne(
    variant('retries-many', { insertAfter: [11, '    retries: 11'] }),
    12,
    'rules[0].retries',
    /must be <= 10, got 11/,
  );
  const set = loadPolicy(
    variant('gate-set', { insertAfter: [10, '      confidence: 0.99\n      maxLoss: 0.005\n    retries: 0'] }),
  ).rules[0];
  assert.deepEqual(gateSettings(set.gate), { minGain: 0.001, minAccuracy: 0.9, confidence: 0.99, maxLoss: 0.005 });
  assert.equal(retriesOf(set), 0);
  const unset = loadPolicy(variant('gate-default', {})).rules[0];
  assert.deepEqual(gateSettings(unset.gate), { minGain: 0.001, minAccuracy: 0.9, confidence: 0.95, maxLoss: 0.0025 });
  assert.equal(retriesOf(unset), 2);
});

test('missing fields point at the rule', () => {
  assertOne(variant('no-method', { replace: [5, ''] }), 2, 'rules[0].method', /is required/);
  assertOne(variant('no-min-accuracy', { replace: [10, ''] }), 8, 'rules[0].gate.minAccuracy', /is required/);
  assertOne(policyFile('no-rules', ['name: x']), 1, 'rules', /is required/);
  assertOne(policyFile('empty-rules', ['rules: []']), 1, 'rules', /at least one rule/);
});

test('backend names are checked, one or a list', () => {
  assertOne(
    variant('backend', { replace: [3, '    match: { backend: wsam }'] }),
    3,
    'rules[0].match.backend',
    /must be one of tensorflow, wasm, cpu, webgpu or a list of them, got the string 'wsam'/,
  );
  assertOne(
    variant('backend-list', { replace: [3, '    match: { backend: [wasm, cuda] }'] }),
    3,
    'rules[0].match.backend[1]',
    /got the string 'cuda'/,
  );
});

test('duplicate names and rules after a catch-all are problems', () => {
  const twice = policyFile('twice', ['rules:', ...GOOD_RULE, ...GOOD_RULE]);
  assert.deepEqual(problems(twice), [
    { line: 12, field: 'rules[1].name', message: "'cpu' is already the name of rules[0] (line 2)" },
  ]);
  const shadowed = policyFile('shadowed', [
    'rules:',
    ...GOOD_RULE.map((l) => l.replace('match: { backend: [tensorflow, wasm] }', 'match: {}')),
    ...GOOD_RULE.map((l) => l.replace('name: cpu', 'name: late')),
  ]);
  assert.deepEqual(problems(shadowed), [
    {
      line: 12,
      field: 'rules[1]',
      message: 'can never match: rules[0] (line 2) has no conditions and matches every device first',
    },
  ]);
});

test('every problem is reported, in line order, as file:line: field: message', () => {
  const file = policyFile('many', [
    'rules:',
    ...GOOD_RULE.map((l) =>
      l
        .replace('targetDepth: 4', 'targetDepth: 99')
        .replace('method: dils', 'method: magic')
        .replace('minGain: 0.001', 'minGain: -1.5'),
    ),
  ]);
  assert.deepEqual(checkPolicy(file).map(formatProblem), [
    `${file}:4: rules[0].targetDepth: must be <= 64, got 99`,
    `${file}:5: rules[0].method: must be one of dils, identity, morphism, lookahead, random, auto, got the string 'magic'`,
    `${file}:9: rules[0].gate.minGain: must be >= -1, got -1.5`,
  ]);
});

test('loadPolicy throws one PolicyError: a one-line message with the first problem and the count, and every problem', () => {
  const file = policyFile('three', [
    'rules:',
    ...GOOD_RULE.map((l) =>
      l
        .replace('targetDepth: 4', 'targetDepth: 99')
        .replace('method: dils', 'method: magic')
        .replace('maxStep: 2', 'maxStep: 0'),
    ),
  ]);
  assert.throws(
    () => loadPolicy(file),
    (err: unknown) => {
      assert.ok(err instanceof PolicyError);
      assert.equal(err.message.includes('\n'), false);
      assert.equal(
        err.message,
        `${file}:4: rules[0].targetDepth: must be <= 64, got 99 (and 2 more problems: run deepend policy check)`,
      );
      assert.equal(err.problems.length, 3);
      assert.deepEqual(err.lines, checkPolicy(file).map(formatProblem));
      return true;
    },
  );
});

test('unreadable and empty files', () => {
  const missing = join(dir, 'nope.yaml');
  assert.deepEqual(checkPolicy(missing).map(formatProblem), [`${missing}: file: cannot read: no such file`]);
  assert.throws(() => loadPolicy(missing), PolicyError);
  assertOne(policyFile('empty', ['# nothing here']), 1, 'policy', /is empty/);
  assertOne(policyFile('scalar', ['just words']), 1, 'policy', /must be a mapping, got the string 'just words'/);
});

test('a loaded policy: name, sha256 of the bytes, rules with match defaulted to {}', () => {
  const file = join(POLICIES, 'default.yaml');
  const policy = loadPolicy(file);
  assert.equal(policy.name, 'default');
  assert.equal(policy.file, file);
  assert.equal(policy.hash, createHash('sha256').update(readFileSync(file)).digest('hex'));
  const unnamed = loadPolicy(policyFile('no-match', ['rules:', ...GOOD_RULE.filter((l) => !l.includes('match:'))]));
  assert.equal(unnamed.name, 'no-match');
  assert.deepEqual(unnamed.rules[0].match, {});
  assert.deepEqual(unnamed.rules[0].gate, { minGain: 0.001, minAccuracy: 0.9 });
});

test('a rule asks for targetDepth or blocksMore, exactly one; blocksMore counts from the depth at import', () => {
  const blocksMore = variant('blocks-more', { replace: [4, '    blocksMore: 2'] });
  assert.deepEqual(checkPolicy(blocksMore), []);
  const rule = loadPolicy(blocksMore).rules[0];
  assert.equal(ruleTarget(rule, 3), 5);
  assert.match(describeDecision(rule, 3), /^2 blocks more than the imported model \(depth 5\) by dils/);
  assert.equal(
    decideUpgrade({ fingerprint: 'a', handled: undefined, rule, committedDepth: 4, baseDepth: 3, now: new Date() })
      .action,
    'upgrade',
  );
  assert.equal(
    decideUpgrade({ fingerprint: 'a', handled: undefined, rule, committedDepth: 5, baseDepth: 3, now: new Date() })
      .action,
    'none',
    'reached once, not on every upgrade',
  );
  const neither = problems(variant('no-depth', { replace: [4, '    # no depth'] }));
  assert.deepEqual(
    neither.map((p) => [p.line, p.field]),
    [[2, 'rules[0]']],
  );
  assert.match(neither[0].message, /needs targetDepth .* or blocksMore/);
  const both = problems(variant('both-depths', { insertAfter: [4, '    blocksMore: 1'] }));
  assert.match(both[0].message, /gives both targetDepth and blocksMore/);
  assert.match(problems(variant('blocks-0', { replace: [4, '    blocksMore: 0'] }))[0].message, /must be >= 1/);
});

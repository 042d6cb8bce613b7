import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeFacts, computeFingerprint } from '../src/compute/detect';
import { REPO, runCli } from './helpers/cli';
import { hardwareFixturePath, rawHardware } from './helpers/hardware';

const POLICIES = join(REPO, 'policies');
const dir = mkdtempSync(join(tmpdir(), 'deepend-policy-cli-'));
const bad = join(dir, 'bad.yaml');
writeFileSync(
  bad,
  [
    'rules:',
    '  - name: x',
    '    targetDepth: 0',
    '    method: dils',
    '    maxStep: 1',
    '    budget: { minutes: 1 }',
    '    gate: { minGain: 0, minAccuracy: 0 }',
    '    window: "every night"',
    '    automatic: true',
    '',
  ].join('\n'),
);

test('policy check: the shipped policies are ok, with their rule counts', async () => {
  const files = ['default', 'jetson', 'gpu-box'].map((n) => join(POLICIES, `${n}.yaml`));
  const r = await runCli(['policy', 'check', ...files]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `${files[0]}: ok (6 rules)`,
    `${files[1]}: ok (4 rules)`,
    `${files[2]}: ok (4 rules)`,
  ]);
});

test('policy check: every problem as file:line: field: message, exit 1; --json too', async () => {
  const r = await runCli(['policy', 'check', bad]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    `${bad}:3: rules[0].targetDepth: must be >= 1, got 0`,
    `${bad}:8: rules[0].window: 'every night' is not a cron expression (expected 5 or 6 fields but got 2); use [second] minute hour day-of-month month day-of-week`,
  ]);
  const json = await runCli(['policy', 'check', bad, '--json']);
  assert.equal(json.code, 1);
  const report = JSON.parse(json.stdout);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.problems.map((p: { line: number; field: string }) => `${p.line} ${p.field}`),
    ['3 rules[0].targetDepth', '8 rules[0].window'],
  );
});

test('policy check/explain usage errors exit 2', async () => {
  for (const args of [
    ['policy', 'check'],
    ['policy'],
    ['policy', 'lint', bad],
    ['policy', 'explain', '--backend', 'cuda'],
    ['policy', 'check', bad, '--fix'],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^deepend policy: /);
  }
});

test('policy explain on recorded hardware: facts, fingerprint, the rule and why', async () => {
  const r = await runCli([
    'policy',
    'explain',
    join(POLICIES, 'jetson.yaml'),
    '--hardware',
    hardwareFixturePath('jetson-orin-nano-8gb'),
    '--backend',
    'wasm',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const fingerprint = computeFingerprint(computeFacts(rawHardware('jetson-orin-nano-8gb'), 'wasm'));
  assert.match(r.stdout, /^jetson +Jetson Orin Nano, L4T 36\.3\.0$/m);
  assert.match(r.stdout, /^gpus +NVIDIA Ampere \(ga10b\) \(7\.99 GB\)$/m);
  assert.match(r.stdout, new RegExp(`^fingerprint +${fingerprint}$`, 'm'));
  assert.match(r.stdout, /^rule +orin-nano-nx \(rules\[1\]\)$/m);
  assert.match(
    r.stdout,
    /^decision +depth 6 by dils \(identity on dense sites\), up to 2 blocks per job, budget 5 epochs or 15 min, gate: gain >= 0\.002, accuracy >= 0\.95, automatic in window '\*\/5 2-4 \* \* \*'$/m,
  );
  assert.match(
    r.stdout,
    /^gate +commits when the held-out accuracy is >= 95\.00%, the gain is >= 0\.20 points and, with 95% confidence, the candidate is not worse by more than 0\.25 points; with 2,000 held-out samples one standard error at 97% is about 0\.38 points, and when the two models disagree on 3% of them the gain must be at least \+0\.50 points to bound the loss$/m,
  );
  assert.match(r.stdout, /^retries +2 \(an automatic upgrade the gate rejects/m);
  assert.match(
    r.stdout,
    /^ {2}rules\[0\] 'agx-orin' does not match: minCores: >= 8 cores required, found 6; minMemoryGB: >= 30 GB memory required, found 7\.99 GB$/m,
  );
  assert.match(r.stdout, /^ {2}rules\[1\] 'orin-nano-nx' matches: /m);
});

test('policy explain on this machine with the default policy (--json)', async () => {
  const r = await runCli(['policy', 'explain', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.policy.file, join(POLICIES, 'default.yaml'));
  assert.match(out.policy.hash, /^[0-9a-f]{64}$/);
  assert.equal(out.hardware, 'this machine');
  assert.equal(out.facts.cpu.cores, cpus().length);
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(out.facts.backend));
  assert.match(out.fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(out.fingerprint, computeFingerprint(out.facts));
  // default.yaml ends in a rule without conditions, so every machine gets one.
  assert.ok(out.rule, 'no rule');
  assert.equal(out.explanation.length, out.index + 1);
  assert.match(out.explanation[out.index], new RegExp(`^rules\\[${out.index}\\] '${out.rule.name}' matches`));
});

test('policy explain --hardware with a file that is not RawHardware: one clear line, exit 1', async () => {
  const notHardware = join(dir, 'not-hardware.json');
  writeFileSync(notHardware, '{"cpu": {"cores": 2}}');
  const r = await runCli(['policy', 'explain', '--hardware', notHardware, '--backend', 'wasm']);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    `deepend policy: ${notHardware} is not recorded hardware (RawHardware): cpu needs manufacturer, brand, cores and flags\n`,
  );
});

test('policy explain with a broken policy lists every problem on stderr and exits 1', async () => {
  const r = await runCli(['policy', 'explain', bad, '--backend', 'wasm']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.deepEqual(
    r.stderr
      .trim()
      .split('\n')
      .map((l) => l.split(': ')[0]),
    [`${bad}:3`, `${bad}:8`],
  );
});

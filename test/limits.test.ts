import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { ControlClient } from '../src/daemon/control-client';
import { MESSAGE_SCHEMAS } from '../src/contract/schemas';
import { validateMessage } from '../src/contract/validate';
import { requestProblem } from '../src/jobs/plan';
import { MAX_DEPTH } from '../src/limits';
import { checkPolicy } from '../src/policy';
import { runCli } from './helpers/cli';
import { DaemonProcess, testHome } from './helpers/daemon';

test('one depth limit: the fleet contract, policies and job requests all stop at MAX_DEPTH', (t) => {
  assert.equal(MAX_DEPTH, 64);
  for (const [kind, schema] of Object.entries(MESSAGE_SCHEMAS)) {
    const depth = (schema as { definitions?: Record<string, { maximum?: number }> }).definitions?.depth;
    if (depth) assert.equal(depth.maximum, MAX_DEPTH, `${kind}: definitions.depth.maximum`);
  }
  assert.equal(validateMessage('deepen', { commandId: 'c', toDepth: MAX_DEPTH }).ok, true);
  assert.equal(validateMessage('deepen', { commandId: 'c', toDepth: MAX_DEPTH + 1 }).ok, false);
  assert.equal(requestProblem({ trigger: 'fleet', toDepth: MAX_DEPTH }), null);
  assert.equal(
    requestProblem({ trigger: 'manual', toDepth: 1000 }),
    'toDepth must be a whole number from 1 to 64, got 1000',
  );
  const h = testHome(t);
  writeFileSync(
    h.policy,
    `name: p\nrules:\n  - name: r\n    match: {}\n    targetDepth: ${MAX_DEPTH + 1}\n    method: dils\n    maxStep: 1\n    budget: { epochs: 1 }\n    gate: { minGain: 0, minAccuracy: 0 }\n    automatic: true\n`,
  );
  const problems = checkPolicy(h.policy);
  assert.equal(problems.length, 1);
  assert.match(`${problems[0].field}: ${problems[0].message}`, /targetDepth: must be <= 64/);
});

test('`deepend deepen --to-depth 1000` is refused by the CLI, and by the control API', {
  timeout: 270_000,
}, async (t) => {
  const h = testHome(t);
  const cli = await runCli(['deepen', '--to-depth', '1000'], { env: h.env });
  assert.equal(cli.code, 2);
  assert.equal(cli.stderr, 'deepend deepen: --to-depth must be at most 64, got 1000\n');
  const daemon = new DaemonProcess([], h.env);
  t.after(() => daemon.kill());
  await daemon.running();
  const res = await new ControlClient(h.home).call('POST', '/deepen', { toDepth: 1000 });
  assert.equal(res.status, 400);
  assert.deepEqual(res.body, { error: 'toDepth must be a whole number from 1 to 64, got 1000', code: 'usage' });
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
});

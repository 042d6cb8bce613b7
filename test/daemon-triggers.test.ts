import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyRule } from '../src/policy';
import { insideWindow } from '../src/daemon/maintenance-window';
import { decideUpgrade } from '../src/daemon/upgrade-decision';

function rule(over: Partial<PolicyRule> = {}): PolicyRule {
  return {
    name: 'r',
    match: {},
    targetDepth: 4,
    method: 'dils',
    maxStep: 2,
    budget: { minutes: 1 },
    gate: { minGain: 0.001, minAccuracy: 0.9 },
    automatic: true,
    ...over,
  };
}

const at = (iso: string) => new Date(iso);

test('insideWindow: the current minute matches the cron expression', () => {
  assert.equal(insideWindow('* 2-4 * * *', at('2024-01-01T03:15:27')), true);
  assert.equal(insideWindow('* 2-4 * * *', at('2024-01-01T05:00:00')), false);
  assert.equal(insideWindow('0 3 * * *', at('2024-01-01T03:00:59')), true, 'any second of the matching minute');
  assert.equal(insideWindow('0 3 * * *', at('2024-01-01T03:01:00')), false);
  assert.equal(
    insideWindow('30 0 3 * * *', at('2024-01-01T03:00:10')),
    true,
    'six fields: the minute holds a matching second',
  );
  assert.equal(insideWindow('* * * * sat,sun', at('2024-01-06T12:00:00')), true);
  assert.equal(insideWindow('* * * * sat,sun', at('2024-01-08T12:00:00')), false);
});

test('decideUpgrade: due only when compute changed, the rule is automatic, asks for more depth and the window is open', () => {
  const base = {
    fingerprint: 'b',
    handled: 'a',
    rule: rule(),
    committedDepth: 2,
    baseDepth: 2,
    now: at('2024-01-01T12:00:00'),
  };
  assert.equal(decideUpgrade(base).action, 'upgrade');
  assert.equal(decideUpgrade({ ...base, handled: undefined }).action, 'upgrade', 'first start');
  assert.equal(decideUpgrade({ ...base, handled: 'b' }).action, 'none', 'already handled');
  assert.equal(decideUpgrade({ ...base, rule: null }).action, 'none');
  assert.equal(decideUpgrade({ ...base, committedDepth: 4 }).action, 'none');
  assert.equal(decideUpgrade({ ...base, rule: rule({ automatic: false }) }).action, 'none');
  assert.equal(decideUpgrade({ ...base, rule: rule({ window: '* 2-4 * * *' }) }).action, 'wait');
  assert.equal(
    decideUpgrade({ ...base, rule: rule({ window: '* 2-4 * * *' }), now: at('2024-01-01T02:30:00') }).action,
    'upgrade',
  );
});

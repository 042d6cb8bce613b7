import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  failureRate,
  failuresPastThreshold,
  newRolloutId,
  planRollout,
  RolloutParams,
  WAVE_DEFAULTS,
} from '../src/fleet/cli/rollout-plan';
import { RolloutStateFile } from '../src/fleet/cli/rollout-state';
import { isTopicSegment } from '../src/contract/topics';
import { validateMessage } from '../src/contract/validate';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(3, '0')}`);

test('plan: canary is ceil(pct% of n), at least one when pct > 0; the rest in batches of ceil(batch% of n)', () => {
  const p = planRollout(ids(10), 10, 25);
  assert.deepEqual(
    p.batches.map((b) => b.length),
    [1, 3, 3, 3],
  );
  assert.equal(p.hasCanary, true);
  assert.deepEqual(planRollout(ids(10), 1, 25).batches[0].length, 1, '1% of 10 is 0.1: still one canary');
  assert.deepEqual(
    planRollout(ids(30), 10, 10).batches.map((b) => b.length),
    [3, 3, 3, 3, 3, 3, 3, 3, 3, 3],
    '10% of 30 is exactly 3',
  );
  assert.deepEqual(
    planRollout(ids(100), 7, 33).batches.map((b) => b.length),
    [7, 33, 33, 27],
  );
  assert.deepEqual(
    planRollout(ids(200), 0.5, 12.5).batches.map((b) => b.length),
    [1, 25, 25, 25, 25, 25, 25, 25, 24],
  );
});

test('plan: no canary at 0%, everything in one batch at 100%, a canary of all devices leaves no batch', () => {
  const none = planRollout(ids(4), 0, 50);
  assert.equal(none.hasCanary, false);
  assert.deepEqual(
    none.batches.map((b) => b.length),
    [2, 2],
  );
  assert.deepEqual(
    planRollout(ids(5), 0, 100).batches.map((b) => b.length),
    [5],
  );
  assert.deepEqual(
    planRollout(ids(3), 100, 25).batches.map((b) => b.length),
    [3],
  );
  assert.deepEqual(planRollout(['only'], 10, 25).batches, [['only']]);
  assert.deepEqual(planRollout([], 10, 25).batches, []);
});

test('plan: devices sorted by id (code points, not locale), duplicates once, every device in exactly one batch', () => {
  const p = planRollout(['b', 'a', 'C', 'b', 'a-2', 'a.1'], 20, 40);
  assert.deepEqual(p.devices, ['C', 'a', 'a-2', 'a.1', 'b']);
  assert.deepEqual(p.batches, [['C'], ['a', 'a-2'], ['a.1', 'b']]);
  const big = planRollout(ids(57), 3, 9);
  assert.deepEqual(big.batches.flat(), ids(57));
});

test('threshold: failed / (succeeded + failed) > max%, the unanswered do not count', () => {
  assert.equal(failuresPastThreshold(0, 0, 0), false, 'no answers: nothing to judge');
  assert.equal(failuresPastThreshold(9, 1, 10), false, '10% is not past 10%');
  assert.equal(failuresPastThreshold(8, 2, 10), true);
  assert.equal(failuresPastThreshold(1, 0, 0), false);
  assert.equal(failuresPastThreshold(5, 1, 0), true, 'max 0%: any failure stops');
  assert.equal(failuresPastThreshold(0, 7, 100), false, 'max 100%: never stops');
  assert.equal(failuresPastThreshold(2, 1, 33.3), true, '33.33% > 33.3%');
  assert.equal(failuresPastThreshold(2, 1, 100 / 3), false, 'exactly a third is not past a third');
  assert.equal(failureRate(3, 1), 25);
  assert.equal(failureRate(0, 0), 0);
});

test('rollout ids: r-YYYYMMDDHHMMSS-xxxx in UTC, a topic segment, valid in desired documents', () => {
  const id = newRolloutId(new Date('2025-03-04T05:06:07.890Z'), () => 'beef');
  assert.equal(id, 'r-20250304050607-beef');
  const fresh = newRolloutId();
  assert.match(fresh, /^r-\d{14}-[0-9a-f]{4}$/);
  assert.ok(isTopicSegment(fresh));
  assert.ok(validateMessage('desired', { rolloutId: fresh, toDepth: 3, ts: new Date().toISOString() }).ok);
});

const params: RolloutParams = {
  fleet: 'f1',
  group: null,
  toDepth: 3,
  method: 'dils',
  canaryPct: 25,
  batchPct: 50,
  maxFailuresPct: 20,
  ...WAVE_DEFAULTS,
};

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'deepend-rollouts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'nested', 'fleet-rollouts.db');
}

test('state file: a created rollout holds the plan; updates and batch ends survive reopening; finds the unfinished one by parameters', (t) => {
  const file = tempFile(t);
  const plan = planRollout(['d', 'c', 'b', 'a'], 25, 50);
  let state = RolloutStateFile.open(file);
  const created = state.create('r-1', params, plan);
  assert.equal(created.status, 'running');
  assert.equal(created.currentBatch, 0);
  assert.equal(created.batchCount, 3);
  assert.deepEqual(
    created.devices.map((d) => [d.device, d.batch, d.status]),
    [
      ['a', 0, 'planned'],
      ['b', 1, 'planned'],
      ['c', 1, 'planned'],
      ['d', 2, 'planned'],
    ],
  );
  state.updateDevice('r-1', 'a', { status: 'sent' });
  state.updateDevice('r-1', 'a', { status: 'succeeded', depth: 3, jobId: 'job-1' });
  state.finishBatch('r-1', 0, []);
  state.updateDevice('r-1', 'b', { status: 'failed', depth: 2, jobId: 'job-2', reason: 'job rejected' });
  state.updateDevice('r-1', 'c', { status: 'sent' });
  state.finishBatch('r-1', 1, ['c']);
  state.close();

  state = RolloutStateFile.open(file);
  const again = state.get('r-1')!;
  assert.equal(again.currentBatch, 2);
  assert.deepEqual(again.params, params);
  assert.deepEqual(
    again.devices.map((d) => [d.device, d.status, d.depth, d.jobId, d.reason]),
    [
      ['a', 'succeeded', 3, 'job-1', null],
      ['b', 'failed', 2, 'job-2', 'job rejected'],
      ['c', 'pending', null, null, null],
      ['d', 'planned', null, null, null],
    ],
  );
  assert.equal(state.findUnfinished(params)?.id, 'r-1');
  assert.equal(state.findUnfinished({ ...params, toDepth: 4 }), null, 'other parameters: another rollout');
  state.setStatus('r-1', 'stopped');
  assert.equal(state.findUnfinished(params), null, 'a stopped rollout is not resumed by rerunning');
  state.markGroupPublished('r-1');
  assert.equal(state.get('r-1')!.groupPublished, true);
  assert.equal(state.get('nope'), null);
  state.close();
});

test('state file: the newest unfinished rollout wins; a foreign file is refused and left untouched', (t) => {
  const file = tempFile(t);
  let clock = Date.parse('2025-01-01T00:00:00Z');
  const state = RolloutStateFile.open(file, {
    now: () => {
      clock += 1000;
      return new Date(clock);
    },
  });
  state.create('r-old', params, planRollout(['a'], 0, 100));
  state.create('r-new', params, planRollout(['a'], 0, 100));
  assert.equal(state.findUnfinished(params)?.id, 'r-new');
  assert.deepEqual(
    state.list().map((r) => r.id),
    ['r-new', 'r-old'],
  );
  state.close();

  const text = join(file, '..', 'notes.db');
  const content = 'not a database at all, but long enough to look like a file header......';
  writeFileSync(text, content);
  assert.throws(
    () => RolloutStateFile.open(text),
    /rollout state file .*notes\.db cannot be used \(SQLITE_NOTADB\); left untouched/,
  );
  assert.equal(readFileSync(text, 'utf8'), content);

  const other = join(file, '..', 'other.db');
  const db = new Database(other);
  db.exec('CREATE TABLE notes (text TEXT)');
  db.close();
  assert.throws(
    () => RolloutStateFile.open(other),
    /rollout state file .*other\.db is an SQLite file of something else; left untouched/,
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_INTERRUPTIONS } from '../src/jobs/recover';
import { openStore, Store } from '../src/store';
import { isTerminal } from '../src/store/job-states';
import { listVersions, versionDir } from '../src/store/model-dirs';
import { candidateEntries, DaemonArgs, DATA_LIMIT, MODEL, runDaemon, testRule } from './helpers/jobs-fixtures';

function tempHome(t: { after(fn: () => void): void }): string {
  const home = mkdtempSync(join(tmpdir(), 'deepend-crash-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

function withStore<T>(home: string, fn: (s: Store) => T): T {
  const store = openStore(home);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

// Two seconds of growth: these tests check where a crash leaves a job, not what the growth gains.
const args = (home: string, request = false): DaemonArgs => ({
  home,
  rule: testRule({ budget: { minutes: 2 / 60 } }),
  dataLimit: DATA_LIMIT,
  request: request ? { trigger: 'manual' } : undefined,
});

/** Each crash point, the state the job is found in afterwards, and what the disk holds at that moment. */
const POINTS: { at: string; state: string; registered: number[] }[] = [
  { at: 'queued', state: 'queued', registered: [1] },
  { at: 'planning', state: 'planning', registered: [1] },
  { at: 'growing', state: 'growing', registered: [1] },
  { at: 'growing:stage2', state: 'growing', registered: [1] },
  { at: 'validating', state: 'validating', registered: [1] },
  { at: 'swapping', state: 'swapping', registered: [1] },
  { at: 'swapping:switched', state: 'swapping', registered: [1, 2] },
];

for (const point of POINTS) {
  test(`killed at ${point.at}: the restart serves the committed version, and the job ends exactly once, succeeded`, async (t) => {
    const home = tempHome(t);
    const crashed = await runDaemon(args(home, true), point.at);
    assert.equal(crashed.signal, 'SIGKILL', `expected the injected SIGKILL; exit ${crashed.code}\n${crashed.stderr}`);
    assert.equal(crashed.result, undefined);
    const jobId = withStore(home, (store) => {
      const [job] = store.jobs();
      assert.equal(job.state, point.state);
      assert.deepEqual(
        store.modelVersions(MODEL).map((v) => v.version),
        point.registered,
      );
      assert.equal(store.committedVersion(MODEL)!.version, 1);
      return job.id;
    });

    const restarted = await runDaemon(args(home));
    assert.equal(restarted.code, 0, restarted.stderr);
    const r = restarted.result!;
    assert.deepEqual(r.recovered, { resumed: [jobId], rolledBack: [], failed: [] });
    assert.equal(r.afterRecover.served, r.afterRecover.committed, 'after recover() the committed version serves');
    assert.equal(r.jobs.length, 1);
    assert.equal(r.jobs[0].state, 'succeeded', r.jobs[0].reason ?? '');
    assert.equal(r.jobs[0].attempts, 1);
    assert.deepEqual(r.served, r.committed, 'the slot serves the committed version');
    assert.equal(r.committed.version, 2);
    assert.equal(r.committed.depth, 3);
    assert.equal(r.current, 2);
    assert.deepEqual(listVersions(home, MODEL), [1, 2]);
    assert.deepEqual(candidateEntries(home), []);
    withStore(home, (store) => {
      const ends = store.transitions(jobId).filter((tr) => isTerminal(tr.to));
      assert.deepEqual(
        ends.map((tr) => tr.to),
        ['succeeded'],
      );
      assert.equal(store.modelVersions(MODEL).filter((v) => v.committed).length, 1);
    });
    t.diagnostic(
      `restart to idle: ${r.seconds.toFixed(1)} s; serving process ${(r.rssBytes / 2 ** 20).toFixed(0)} MB RSS, ${r.numTensors} tensors`,
    );
  });
}

test('killed at swapping:switched with v2 damaged meanwhile: the swap is undone, the job fails once, v1 serves', async (t) => {
  const home = tempHome(t);
  const crashed = await runDaemon(args(home, true), 'swapping:switched');
  assert.equal(crashed.signal, 'SIGKILL', crashed.stderr);
  const weights = join(versionDir(home, MODEL, 2), 'group1-shard1of1.bin');
  const bytes = readFileSync(weights);
  bytes[100] ^= 0xff;
  writeFileSync(weights, bytes);

  const restarted = await runDaemon(args(home));
  assert.equal(restarted.code, 0, restarted.stderr);
  const r = restarted.result!;
  assert.deepEqual(r.recovered, { resumed: [], rolledBack: [r.jobs[0].id], failed: [] });
  assert.equal(r.jobs[0].state, 'failed');
  assert.match(r.jobs[0].reason!, /swap to v2 failed: .*sha256.*; v1 keeps serving/);
  assert.equal(r.afterRecover.served, r.afterRecover.committed);
  assert.deepEqual(r.served, r.committed);
  assert.equal(r.committed.version, 1);
  assert.equal(r.current, 1);
  assert.deepEqual(listVersions(home, MODEL), [1], 'the damaged version was discarded');
  assert.deepEqual(candidateEntries(home), []);
});

test(`a job that crashes the daemon ${MAX_INTERRUPTIONS + 1} times is failed by the loop guard; v1 keeps serving`, async (t) => {
  const home = tempHome(t);
  const first = await runDaemon(args(home, true), 'growing');
  assert.equal(first.signal, 'SIGKILL', first.stderr);
  for (let crash = 2; crash <= MAX_INTERRUPTIONS + 1; crash++) {
    const again = await runDaemon(args(home), 'growing');
    assert.equal(again.signal, 'SIGKILL', `crash ${crash}: ${again.stderr}`);
  }
  const last = await runDaemon(args(home));
  assert.equal(last.code, 0, last.stderr);
  const r = last.result!;
  assert.equal(r.jobs.length, 1);
  assert.deepEqual(r.recovered, { resumed: [], rolledBack: [], failed: [r.jobs[0].id] });
  assert.equal(r.jobs[0].state, 'failed');
  assert.equal(r.jobs[0].attempts, MAX_INTERRUPTIONS + 1);
  assert.match(r.jobs[0].reason!, /keeps crashing the daemon: interrupted 4 times, the last time while growing/);
  assert.equal(r.afterRecover.served, r.afterRecover.committed);
  assert.deepEqual(r.served, r.committed);
  assert.equal(r.committed.version, 1);
  assert.equal(r.current, 1);
  assert.deepEqual(listVersions(home, MODEL), [1]);
  assert.deepEqual(candidateEntries(home), []);
  withStore(home, (store) => {
    const path = store.transitions(r.jobs[0].id).map((tr) => tr.to);
    assert.equal(path.filter((s) => s === 'growing').length, MAX_INTERRUPTIONS + 1);
    assert.equal(path.filter((s) => isTerminal(s)).length, 1);
  });
});

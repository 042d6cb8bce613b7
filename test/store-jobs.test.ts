import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import {
  JOB_STATES,
  JobKind,
  JobState,
  StoreError,
  TERMINAL_STATES,
  allowedTargets,
  isTerminal,
  openStore,
  refusedTransition,
} from '../src/store';
import { tempHome } from './helpers/store-fixtures';

const FORWARD: Record<JobKind, [JobState, JobState[]][]> = {
  upgrade: [
    ['queued', ['planning', 'canceled', 'failed']],
    ['planning', ['growing', 'rejected', 'failed', 'canceled']],
    ['growing', ['validating', 'failed', 'canceled']],
    ['validating', ['swapping', 'rejected', 'failed', 'canceled']],
    ['swapping', ['succeeded', 'failed']],
  ],
  rollback: [
    ['queued', ['swapping', 'canceled', 'failed']],
    ['swapping', ['succeeded', 'failed']],
  ],
};

test('the edge table: forward edges, resume edges (to itself and to queued), nothing out of a terminal state', () => {
  for (const kind of ['upgrade', 'rollback'] as JobKind[]) {
    for (const [from, forward] of FORWARD[kind]) {
      const expected = new Set<JobState>([...forward, from, 'queued']);
      assert.deepEqual(new Set(allowedTargets(kind, from)), expected, `${kind} from ${from}`);
    }
    for (const from of TERMINAL_STATES) {
      assert.deepEqual(allowedTargets(kind, from), [], `${kind}: ${from} must be final`);
      for (const to of JOB_STATES) assert.match(refusedTransition(kind, from, to)!, /already ended/);
    }
  }
  assert.match(
    refusedTransition('upgrade', 'queued', 'swapping')!,
    /queued -> swapping is not an allowed transition for an upgrade job/,
  );
  assert.match(refusedTransition('rollback', 'queued', 'planning')!, /for a rollback job/);
});

test('every edge through the real store: allowed ones persist, refused ones change nothing', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  // drive a fresh job to `from` along the forward path, then try `to`
  const pathTo: Record<JobKind, JobState[]> = {
    upgrade: ['queued', 'planning', 'growing', 'validating', 'swapping', 'succeeded'],
    rollback: ['queued', 'swapping', 'succeeded'],
  };
  for (const kind of ['upgrade', 'rollback'] as JobKind[]) {
    for (const from of pathTo[kind]) {
      for (const to of JOB_STATES) {
        const job = store.createJob({ kind, trigger: 'manual', request: {} });
        for (const s of pathTo[kind].slice(1, pathTo[kind].indexOf(from) + 1)) store.transition(job.id, s);
        const before = store.transitions(job.id).length;
        const refused = refusedTransition(kind, from, to);
        if (refused === null) {
          assert.equal(store.transition(job.id, to).state, to);
          assert.equal(store.transitions(job.id).length, before + 1);
        } else {
          assert.throws(
            () => store.transition(job.id, to),
            (err: Error) => err instanceof StoreError && err.message === `job ${job.id}: ${refused}`,
          );
          assert.equal(store.job(job.id)!.state, from, `${kind} ${from} -> ${to} changed the state`);
          assert.equal(store.transitions(job.id).length, before, `${kind} ${from} -> ${to} wrote a transition`);
        }
      }
    }
  }
});

test('a job ends exactly once, and the database itself refuses a second ending', (t) => {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  const job = store.createJob({ kind: 'upgrade', trigger: 'automatic', request: { toDepth: 4 } });
  store.transition(job.id, 'planning');
  store.transition(job.id, 'rejected', { reason: 'policy wants depth 2', result: { depthBefore: 2 } });
  for (const to of JOB_STATES) assert.throws(() => store.transition(job.id, to), /has already ended \(rejected\)/);
  assert.throws(() => store.recordAttempt(job.id), /has already ended/);
  const ended = store.job(job.id)!;
  assert.equal(ended.state, 'rejected');
  assert.equal(ended.reason, 'policy wants depth 2');
  assert.deepEqual(ended.result, { depthBefore: 2 });
  assert.ok(ended.endedAt);
  const terminal = store.transitions(job.id).filter((tr) => isTerminal(tr.to));
  assert.equal(terminal.length, 1);

  // a writer that bypasses the store (or a bug) hits the trigger
  const raw = new Database(store.path);
  t.after(() => raw.close());
  assert.throws(
    () => raw.prepare(`UPDATE jobs SET state = 'succeeded' WHERE id = ?`).run(job.id),
    /job has already ended/,
  );
});

test('every transition is on disk before transition() returns (read through a second connection)', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const reader = new Database(store.path, { readonly: true });
  t.after(() => reader.close());
  const readState = reader.prepare('SELECT state FROM jobs WHERE id = ?').pluck();
  const readHistory = reader.prepare(
    'SELECT from_state, to_state, detail FROM job_transitions WHERE job_id = ? ORDER BY seq',
  );

  const job = store.createJob({ kind: 'upgrade', trigger: 'fleet', request: { toDepth: 3 }, commandId: 'cmd-1' });
  assert.equal(readState.get(job.id), 'queued');
  const path: JobState[] = ['planning', 'growing', 'growing', 'validating', 'swapping', 'succeeded'];
  let prev: JobState = 'queued';
  for (const [i, to] of path.entries()) {
    store.transition(job.id, to, { step: i });
    assert.equal(readState.get(job.id), to);
    const history = readHistory.all(job.id) as { from_state: string | null; to_state: string; detail: string }[];
    assert.equal(history.length, i + 2);
    assert.deepEqual(history[history.length - 1], {
      from_state: prev,
      to_state: to,
      detail: JSON.stringify({ step: i }),
    });
    prev = to;
  }
  const first = readHistory.all(job.id)[0] as { from_state: string | null; to_state: string };
  assert.deepEqual([first.from_state, first.to_state], [null, 'queued'], 'the first transition records the creation');
});

test('crash recovery: a resumed job may re-enter its state or go back to queued; attempts count the restarts', (t) => {
  const home = tempHome(t);
  let store = openStore(home);
  const job = store.createJob({ kind: 'upgrade', trigger: 'automatic', request: {} });
  assert.equal(store.recordAttempt(job.id), 1);
  store.transition(job.id, 'planning');
  store.transition(job.id, 'growing', { stage: 'stage1' });
  store.close(); // the "crash"

  store = openStore(home);
  t.after(() => store.close());
  assert.deepEqual(
    store.unfinishedJobs().map((j) => j.id),
    [job.id],
  );
  assert.equal(store.activeJob()!.id, job.id);
  assert.equal(store.recordAttempt(job.id), 2);
  store.transition(job.id, 'growing', { resumed: true });
  assert.equal(store.recordAttempt(job.id), 3);
  store.transition(job.id, 'queued', { reason: 'restarted after a crash' });
  assert.equal(store.job(job.id)!.attempts, 3);
  store.transition(job.id, 'failed', { reason: 'interrupted 3 times' });
  assert.equal(store.activeJob(), undefined);
  assert.deepEqual(
    store.transitions(job.id).map((tr) => `${tr.from}->${tr.to}`),
    ['null->queued', 'queued->planning', 'planning->growing', 'growing->growing', 'growing->queued', 'queued->failed'],
  );
});

test('jobs: why a job waited in queued goes when it leaves queued; the reason it ended with stays', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const job = store.createJob({ kind: 'upgrade', trigger: 'manual', request: {} });
  store.transition(job.id, 'planning');
  store.transition(job.id, 'growing', { stage: 'stage1' });
  const parked = 'the daemon stopped; the job resumes at the next start';
  store.transition(job.id, 'queued', { parked: true, reason: parked });
  assert.equal(store.job(job.id)!.reason, parked);
  store.transition(job.id, 'planning');
  assert.equal(store.job(job.id)!.reason, null, 'resumed: no longer waiting');
  store.transition(job.id, 'growing', { stage: 'stage2' });
  store.transition(job.id, 'validating');
  store.transition(job.id, 'rejected', { reason: 'gate not met' });
  assert.equal(store.job(job.id)!.reason, 'gate not met');

  const crashed = store.createJob({ kind: 'upgrade', trigger: 'manual', request: {} });
  store.transition(crashed.id, 'planning');
  store.transition(crashed.id, 'queued', { reason: 'restarted after a crash' });
  store.transition(crashed.id, 'failed', { reason: 'interrupted 3 times' });
  assert.equal(store.job(crashed.id)!.reason, 'interrupted 3 times');
});

test('jobs: lookups, newest-first listing, one job per command id, bad input', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const a = store.createJob({ kind: 'upgrade', trigger: 'manual', request: { toDepth: 3 } });
  const b = store.createJob({ kind: 'rollback', trigger: 'fleet', request: { version: 1 }, commandId: 'c-42' });
  assert.deepEqual(
    store.jobs().map((j) => j.id),
    [b.id, a.id],
  );
  assert.deepEqual(
    store.jobs(1).map((j) => j.id),
    [b.id],
  );
  assert.equal(store.jobByCommand('c-42')!.id, b.id);
  assert.equal(store.activeJob()!.id, a.id, 'the oldest unfinished job is the active one');
  assert.throws(
    () => store.createJob({ kind: 'upgrade', trigger: 'fleet', request: {}, commandId: 'c-42' }),
    new RegExp(`command c-42: already created job ${b.id}`),
  );
  assert.throws(
    () => store.createJob({ kind: 'deepen' as JobKind, trigger: 'manual', request: {} }),
    /unknown job kind "deepen"/,
  );
  assert.throws(() => store.transition('nope', 'planning'), /job nope: does not exist/);
  assert.throws(() => store.transition(a.id, 'exploded' as JobState), /unknown state "exploded"/);
  assert.equal(store.job('nope'), undefined);
  assert.equal(store.jobs().length, 2, 'refused calls created nothing');
});

test('atomically: a failure inside rolls back every write, transitions included', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const job = store.createJob({ kind: 'upgrade', trigger: 'manual', request: {} });
  assert.throws(
    () =>
      store.atomically(() => {
        store.transition(job.id, 'planning');
        store.enqueueOutbox('deepend/v1/f/d/jobs/x', { status: 'running' });
        throw new Error('publish failed');
      }),
    /publish failed/,
  );
  assert.equal(store.job(job.id)!.state, 'queued');
  assert.equal(store.transitions(job.id).length, 1);
  assert.deepEqual(store.pendingOutbox(10), []);
});

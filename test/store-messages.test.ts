import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../src/store';
import { tempHome } from './helpers/store-fixtures';

test('outbox: delivery order is insertion order, across close and reopen, with sent rows skipped', (t) => {
  const home = tempHome(t);
  let store = openStore(home);
  const ids = [];
  for (let i = 0; i < 5; i++)
    ids.push(
      store.enqueueOutbox(`deepend/v1/f/d/jobs/${i % 2}`, { n: i }, { retain: i % 2 === 0, qos: i === 4 ? 0 : 1 }),
    );
  store.markSent(ids[1]);
  store.close();

  store = openStore(home);
  for (let i = 5; i < 8; i++) ids.push(store.enqueueOutbox('deepend/v1/f/d/state', { n: i }));
  const pending = store.pendingOutbox(100);
  assert.deepEqual(
    pending.map((m) => (m.payload as { n: number }).n),
    [0, 2, 3, 4, 5, 6, 7],
  );
  assert.deepEqual(
    pending.map((m) => m.id),
    [...pending.map((m) => m.id)].sort((a, b) => a - b),
  );
  assert.equal(pending[0].retain, true);
  assert.equal(pending[0].qos, 1);
  assert.equal(pending[3].qos, 0);
  assert.deepEqual(
    store.pendingOutbox(2).map((m) => (m.payload as { n: number }).n),
    [0, 2],
  );

  store.markSent(ids[0]);
  store.markSent(ids[0]); // a second acknowledgement is harmless
  assert.throws(() => store.markSent(9999), /outbox message 9999: does not exist/);
  assert.equal(store.pendingOutbox(1)[0].id, ids[2]);
  store.close();
});

test('outbox ids never go back, even after every row was sent and pruned', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const first = store.enqueueOutbox('t', { n: 1 });
  store.markSent(first);
  assert.equal(store.prune(new Date(Date.now() + 60_000)).outbox, 1);
  assert.ok(store.enqueueOutbox('t', { n: 2 }) > first);
  assert.throws(() => store.enqueueOutbox('t', [1, 2] as unknown as object), /must be a JSON object/);
  assert.throws(() => store.enqueueOutbox('', {}), /topic must be a non-empty string/);
});

test('rememberCommand: the first result wins, a duplicate is reported, across restarts', (t) => {
  const home = tempHome(t);
  let store = openStore(home);
  assert.equal(store.commandResult('c1'), undefined);
  assert.equal(store.rememberCommand('c1', { ok: true, jobId: 'j1' }), true);
  assert.equal(store.rememberCommand('c1', { ok: false, error: 'second run' }), false);
  assert.deepEqual(store.commandResult('c1'), { ok: true, jobId: 'j1' });
  store.close();

  store = openStore(home);
  t.after(() => store.close());
  assert.equal(store.rememberCommand('c1', { ok: true, jobId: 'j2' }), false);
  assert.deepEqual(store.commandResult('c1'), { ok: true, jobId: 'j1' });
  assert.throws(() => store.rememberCommand('', {}), /non-empty string/);
});

test('a command and the job it creates are recorded together or not at all', (t) => {
  const store = openStore(tempHome(t));
  t.after(() => store.close());
  const run = (commandId: string, failAfterJob: boolean) =>
    store.atomically(() => {
      if (!store.rememberCommand(commandId, { ok: true })) return store.commandResult(commandId);
      const job = store.createJob({ kind: 'upgrade', trigger: 'fleet', request: {}, commandId });
      if (failAfterJob) throw new Error('crash before the reply');
      return { ok: true, jobId: job.id };
    });
  assert.throws(() => run('c7', true), /crash before the reply/);
  assert.equal(store.commandResult('c7'), undefined);
  assert.equal(store.jobByCommand('c7'), undefined);
  const first = run('c7', false) as { jobId: string };
  assert.equal(store.jobByCommand('c7')!.id, first.jobId);
  assert.deepEqual(run('c7', false), { ok: true });
  assert.equal(store.jobs().length, 1, 'the duplicate created no second job');
});

test('events, settings and pruning by age', (t) => {
  let clock = new Date('2030-01-01T00:00:00Z');
  const store = openStore(tempHome(t), { now: () => clock });
  t.after(() => store.close());
  store.logEvent('compute.detected', { fingerprint: 'aa' });
  store.rememberCommand('old', { ok: true });
  const sent = store.enqueueOutbox('t', { n: 1 });
  store.markSent(sent);
  store.enqueueOutbox('t', { n: 2 }); // unsent: never pruned
  clock = new Date('2030-01-08T00:00:00Z');
  store.logEvent('compute.detected', { fingerprint: 'bb' });
  store.rememberCommand('new', { ok: true });
  store.setSetting('compute.fingerprint', 'bb');
  store.setSetting('compute.fingerprint', 'cc');
  assert.equal(store.getSetting('compute.fingerprint'), 'cc');
  assert.equal(store.getSetting('missing'), undefined);
  assert.deepEqual(
    store.events().map((e) => e.data),
    [{ fingerprint: 'bb' }, { fingerprint: 'aa' }],
  );
  assert.equal(store.events()[0].at, '2030-01-08T00:00:00.000Z');

  assert.deepEqual(store.prune(new Date('2030-01-05T00:00:00Z')), { events: 1, commands: 1, outbox: 1 });
  assert.equal(store.commandResult('old'), undefined);
  assert.deepEqual(store.commandResult('new'), { ok: true });
  assert.deepEqual(
    store.pendingOutbox(10).map((m) => m.payload),
    [{ n: 2 }],
  );
  assert.equal(store.events().length, 1);
});

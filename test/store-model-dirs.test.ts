import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { openStore, Store, StoreError } from '../src/store';
import {
  addVersionFromCandidate,
  candidateDir,
  discardVersion,
  flipCurrent,
  importShipped,
  listVersions,
  modelRoot,
  readCurrent,
  reconcile,
  removeCandidate,
  versionDir,
  verifyModelDir,
} from '../src/store/model-dirs';
import { fakeGrownModel, sha256File, SHIPPED_MODEL, tempHome } from './helpers/store-fixtures';

const NAME = 'default';

function setup(t: Parameters<typeof tempHome>[0]): { home: string; store: Store } {
  const home = tempHome(t);
  const store = openStore(home);
  t.after(() => store.close());
  return { home, store };
}

/** A job with a grown candidate in .candidates/JOBID, as the grow worker leaves it. */
function jobWithCandidate(home: string, store: Store, seed: number, parentDir = versionDir(home, NAME, 1)) {
  const job = store.createJob({ kind: 'upgrade', trigger: 'manual', request: {} });
  const dir = candidateDir(home, NAME, job.id);
  mkdirSync(join(dir, '..'), { recursive: true });
  fakeGrownModel(parentDir, dir, seed);
  return { job, dir };
}

test('importShipped: v1 is an exact verified copy, registered, committed, and current links to it', (t) => {
  const { home, store } = setup(t);
  const row = importShipped(home, NAME, SHIPPED_MODEL, store);
  const v1 = versionDir(home, NAME, 1);
  assert.equal(row.version, 1);
  assert.equal(row.committed, true);
  assert.equal(row.parent, null);
  assert.equal(row.dir, v1);
  assert.equal(row.sha256, sha256File(join(SHIPPED_MODEL, 'weights.bin')));
  assert.equal(row.depth, 2);
  for (const f of readdirSync(SHIPPED_MODEL).filter((f) => f !== 'meta.json'))
    assert.equal(sha256File(join(v1, f)), sha256File(join(SHIPPED_MODEL, f)), f);
  // meta.json is the shipped one plus the store's own record of the version (version-record.ts)
  const { store: record, ...meta } = JSON.parse(readFileSync(join(v1, 'meta.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(meta, JSON.parse(readFileSync(join(SHIPPED_MODEL, 'meta.json'), 'utf8')));
  assert.deepEqual(record, { version: 1, parent: null, createdAt: row.createdAt, committedAt: row.committedAt });
  assert.equal(readlinkSync(join(modelRoot(home, NAME), 'current')), 'v1');
  assert.equal(readCurrent(home, NAME), 1);
  assert.deepEqual(readdirSync(modelRoot(home, NAME)).sort(), ['current', 'v1'], 'no temporary entries left');
  assert.throws(() => importShipped(home, NAME, SHIPPED_MODEL, store), /already has a committed version \(v1\)/);
});

test('importShipped refuses a damaged shipped model and leaves nothing behind', (t) => {
  const { home, store } = setup(t);
  const bad = join(home, 'bad-model');
  cpSync(SHIPPED_MODEL, bad, { recursive: true });
  writeFileSync(join(bad, 'weights.bin'), Buffer.alloc(16));
  assert.throws(
    () => importShipped(home, NAME, bad, store),
    (err: Error) =>
      err instanceof StoreError && err.message.startsWith(join(bad, 'weights.bin')) && /sha256/.test(err.message),
  );
  assert.deepEqual(store.modelVersions(NAME), []);
  assert.deepEqual(listVersions(home, NAME), []);
});

test('a candidate becomes vN (one rename), uncommitted, with its lineage; commit + flip make it current', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { job, dir } = jobWithCandidate(home, store, 7);
  const row = addVersionFromCandidate(home, NAME, dir, 2, store);
  assert.equal(existsSync(dir), false, 'the candidate was moved, not copied');
  assert.deepEqual(
    { version: row.version, parent: row.parent, method: row.method, committed: row.committed },
    { version: 2, parent: 1, method: 'dils', committed: false },
  );
  assert.equal(row.metrics.accuracy, 0.95);
  assert.equal(store.committedVersion(NAME)!.version, 1);
  assert.equal(readCurrent(home, NAME), 1, 'adding a version does not touch current');

  store.setCommitted(NAME, 2);
  flipCurrent(home, NAME, 2);
  assert.equal(readlinkSync(join(modelRoot(home, NAME), 'current')), 'v2');
  assert.deepEqual(
    store.modelVersions(NAME).map((v) => [v.version, v.committed]),
    [
      [1, false],
      [2, true],
    ],
  );
  assert.equal(store.events().find((e) => e.kind === 'model.committed')!.data.previous, 1);

  assert.throws(() => addVersionFromCandidate(home, NAME, dir, 3, store), /model directory not found/);
  const again = jobWithCandidate(home, store, 9);
  assert.throws(() => addVersionFromCandidate(home, NAME, again.dir, 2, store), /v2: is already registered/);
  removeCandidate(home, NAME, again.job.id);
  assert.equal(existsSync(again.dir), false);
  removeCandidate(home, NAME, again.job.id); // already gone: fine
  assert.throws(() => removeCandidate(home, NAME, '../v1'), /job id "..\/v1": must be/);
  void job;
});

test('flipCurrent: a reader in another thread always finds a link, old or new, while it flips', async (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { dir } = jobWithCandidate(home, store, 3);
  addVersionFromCandidate(home, NAME, dir, 2, store);
  const link = join(modelRoot(home, NAME), 'current');
  // [0]: set to stop the reader; [1]: its reads so far
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const reader = new Worker(
    `const { readlinkSync } = require('node:fs');
     const { workerData: { link, shared }, parentPort } = require('node:worker_threads');
     let reads = 0, misses = 0, others = 0;
     while (Atomics.load(shared, 0) === 0) {
       try { const t = readlinkSync(link); reads++; if (t !== 'v1' && t !== 'v2') others++; } catch { misses++; }
       Atomics.store(shared, 1, reads);
     }
     parentPort.postMessage({ reads, misses, others });`,
    { eval: true, workerData: { link, shared } },
  );
  const result = new Promise<{ reads: number; misses: number; others: number }>((resolve) =>
    reader.once('message', resolve),
  );
  // on a loaded machine the reader may take a while to start: flip only once it reads, and until it read a while
  for (const deadline = Date.now() + 30_000; Atomics.load(shared, 1) === 0 && Date.now() < deadline; )
    await new Promise((resolve) => setTimeout(resolve, 10));
  const readsBefore = Atomics.load(shared, 1);
  for (let pairs = 0; pairs < 200 || (Atomics.load(shared, 1) - readsBefore < 200 && pairs < 100_000); pairs++) {
    flipCurrent(home, NAME, 2);
    flipCurrent(home, NAME, 1);
  }
  const readsWhileFlipping = Atomics.load(shared, 1) - readsBefore;
  Atomics.store(shared, 0, 1);
  const { reads, misses, others } = await result;
  await reader.terminate();
  assert.ok(readsWhileFlipping >= 200, `the reader read ${readsWhileFlipping} times while current flipped`);
  assert.ok(reads > 0);
  assert.equal(misses, 0, 'current was missing for a reader');
  assert.equal(others, 0);
  assert.equal(readlinkSync(link), 'v1');
  assert.ok(!readdirSync(modelRoot(home, NAME)).some((e) => e.startsWith('.current')), 'temporary link left behind');
  assert.throws(() => flipCurrent(home, NAME, 9), /v9: does not exist/);
  assert.equal(readlinkSync(link), 'v1');

  rmSync(link);
  mkdirSync(link);
  assert.throws(() => flipCurrent(home, NAME, 2), /current: is a directory, not a symlink/);
});

test('discardVersion removes an uncommitted version; the committed one is refused', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { dir } = jobWithCandidate(home, store, 5);
  addVersionFromCandidate(home, NAME, dir, 2, store);
  assert.throws(() => discardVersion(home, NAME, 1, store), /is the committed version/);
  discardVersion(home, NAME, 2, store);
  assert.deepEqual(listVersions(home, NAME), [1]);
  assert.deepEqual(
    store.modelVersions(NAME).map((v) => v.version),
    [1],
  );
});

// ---- reconcile after simulated crashes -------------------------------------------------------

test('reconcile on a consistent home changes nothing', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  assert.deepEqual(reconcile(home, NAME, store), { actions: [], committed: 1 });
  assert.deepEqual(reconcile(home, 'never-imported', store), { actions: [], committed: undefined });
});

test('crash inside importShipped: before the rename, and between the rename and the registration', (t) => {
  const { home, store } = setup(t);
  const root = modelRoot(home, NAME);
  // 1. crashed while copying: a temporary directory and nothing else
  mkdirSync(join(root, '.v1.import-4242'), { recursive: true });
  writeFileSync(join(root, '.v1.import-4242', 'model.json'), '{"half": ');
  assert.deepEqual(reconcile(home, NAME, store).actions, ['removed leftover .v1.import-4242']);
  assert.deepEqual(readdirSync(root), []);

  // 2. crashed after the rename: v1 complete on disk, no row, no link
  cpSync(SHIPPED_MODEL, versionDir(home, NAME, 1), { recursive: true });
  const report = reconcile(home, NAME, store);
  assert.deepEqual(report, { actions: ['registered v1 found on disk (uncommitted)'], committed: undefined });
  // the daemon then imports as on any first start, which finishes the job without copying again
  const row = importShipped(home, NAME, SHIPPED_MODEL, store);
  assert.equal(row.committed, true);
  assert.equal(readCurrent(home, NAME), 1);
  assert.deepEqual(reconcile(home, NAME, store).actions, []);
});

test('crash between the swap steps: committed in the database but current still on the old version', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { job, dir } = jobWithCandidate(home, store, 11);
  addVersionFromCandidate(home, NAME, dir, 2, store);
  store.setCommitted(NAME, 2);
  // crash here: flipCurrent never ran; a temporary link was half made
  symlinkSync('v2', join(modelRoot(home, NAME), '.current.tmp-1-2'));
  const report = reconcile(home, NAME, store);
  assert.deepEqual(report.actions, ['removed leftover .current.tmp-1-2', 'pointed current at v2']);
  assert.equal(readCurrent(home, NAME), 2);
  void job;
});

test('current pointing at an uncommitted version (flipped, then the commit was lost) goes back to the committed one', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { dir } = jobWithCandidate(home, store, 13);
  addVersionFromCandidate(home, NAME, dir, 2, store);
  flipCurrent(home, NAME, 2);
  assert.deepEqual(reconcile(home, NAME, store).actions, ['pointed current at v1']);
  assert.equal(readCurrent(home, NAME), 1);
});

test('crash between moving a candidate into vN and registering it: the version is registered, uncommitted', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { dir } = jobWithCandidate(home, store, 17);
  renameSync(dir, versionDir(home, NAME, 2)); // the rename happened, the row did not
  const report = reconcile(home, NAME, store);
  assert.deepEqual(report, { actions: ['registered v2 found on disk (uncommitted)'], committed: 1 });
  const v2 = store.modelVersion(NAME, 2)!;
  assert.deepEqual([v2.parent, v2.method, v2.committed], [1, 'dils', false]);
  assert.equal(readCurrent(home, NAME), 1);
});

test('candidates: kept for an unfinished job, removed for an ended or unknown one', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const running = jobWithCandidate(home, store, 19);
  store.transition(running.job.id, 'planning');
  store.transition(running.job.id, 'growing');
  const ended = jobWithCandidate(home, store, 23);
  store.transition(ended.job.id, 'canceled');
  mkdirSync(candidateDir(home, NAME, 'f00-unknown-job'));
  const report = reconcile(home, NAME, store);
  assert.deepEqual(
    report.actions.sort(),
    [`removed candidate ${ended.job.id} (job canceled)`, 'removed candidate f00-unknown-job (no such job)'].sort(),
  );
  assert.ok(existsSync(running.dir));
  assert.ok(!existsSync(ended.dir));
});

test('an uncommitted row whose directory is gone is forgotten; a committed one is an error that changes nothing', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const { dir } = jobWithCandidate(home, store, 29);
  addVersionFromCandidate(home, NAME, dir, 2, store);
  rmSync(versionDir(home, NAME, 2), { recursive: true });
  assert.deepEqual(reconcile(home, NAME, store).actions, ['forgot v2: its directory is gone']);
  assert.equal(store.modelVersion(NAME, 2), undefined);

  mkdirSync(join(modelRoot(home, NAME), '.v7.discard-1')); // would be removed by a successful reconcile
  rmSync(versionDir(home, NAME, 1), { recursive: true });
  assert.throws(
    () => reconcile(home, NAME, store),
    (err: Error) =>
      err instanceof StoreError &&
      err.message.startsWith(versionDir(home, NAME, 1)) &&
      /database commits model default v1/.test(err.message),
  );
  assert.ok(existsSync(join(modelRoot(home, NAME), '.v7.discard-1')), 'an error must come before any change');
  assert.equal(store.committedVersion(NAME)!.version, 1);
});

test('a vN directory that fails verification is an error and stays on disk', (t) => {
  const { home, store } = setup(t);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const v3 = versionDir(home, NAME, 3);
  cpSync(SHIPPED_MODEL, v3, { recursive: true });
  writeFileSync(join(v3, 'weights.bin'), Buffer.alloc(8));
  assert.throws(
    () => reconcile(home, NAME, store),
    (err: Error) => err.message.startsWith(join(v3, 'weights.bin')) && /sha256/.test(err.message),
  );
  assert.ok(existsSync(v3));
  assert.equal(store.modelVersion(NAME, 3), undefined);
});

test('a lost database: every version is adopted from disk and the one current links to is committed', (t) => {
  const home = tempHome(t);
  let store = openStore(home);
  importShipped(home, NAME, SHIPPED_MODEL, store);
  const a = jobWithCandidate(home, store, 31);
  addVersionFromCandidate(home, NAME, a.dir, 2, store);
  const b = jobWithCandidate(home, store, 37, versionDir(home, NAME, 2));
  addVersionFromCandidate(home, NAME, b.dir, 3, store);
  store.setCommitted(NAME, 2);
  flipCurrent(home, NAME, 2);
  const before = store
    .modelVersions(NAME)
    .map(({ version, parent, sha256, depth, method, createdAt, committedAt }) => ({
      version,
      parent,
      sha256,
      depth,
      method,
      createdAt,
      committedAt,
    }));
  store.close();
  for (const f of readdirSync(home).filter((f) => f.startsWith('deepend.db'))) rmSync(join(home, f));

  store = openStore(home);
  t.after(() => store.close());
  const report = reconcile(home, NAME, store);
  assert.deepEqual(report.actions, [
    'registered v1 found on disk (uncommitted, history from its meta.json)',
    'registered v2 found on disk (uncommitted, history from its meta.json)',
    'registered v3 found on disk (uncommitted, history from its meta.json)',
    'committed v2: no committed version was recorded and current links to it',
  ]);
  assert.equal(report.committed, 2);
  const after = store.modelVersions(NAME).map(({ version, parent, sha256, depth, method, createdAt, committedAt }) => ({
    version,
    parent,
    sha256,
    depth,
    method,
    createdAt,
    committedAt,
  }));
  assert.deepEqual(after, before, 'the same lineage, creation and first-commit times');
  assert.equal(readCurrent(home, NAME), 2);
});

test('a dangling current with nothing committed is removed; a current that is a directory is an error', (t) => {
  const { home, store } = setup(t);
  const root = modelRoot(home, NAME);
  mkdirSync(root, { recursive: true });
  symlinkSync('v4', join(root, 'current'));
  assert.deepEqual(reconcile(home, NAME, store).actions, ['removed current: no version is committed']);
  mkdirSync(join(root, 'current'));
  assert.throws(() => reconcile(home, NAME, store), /current: is not a symlink/);
});

test('model names and homes are checked', (t) => {
  const { home, store } = setup(t);
  assert.throws(() => importShipped(home, '../escape', SHIPPED_MODEL, store), /model name "..\/escape": must be/);
  assert.throws(() => reconcile(join(home, 'elsewhere'), NAME, store), /is not the home directory of the store/);
});

test('the store writes its version record only into its own vN folders, never into a model registered from elsewhere', (t) => {
  const { home, store } = setup(t);
  const outside = join(tempHome(t), 'elsewhere');
  cpSync(SHIPPED_MODEL, outside, { recursive: true });
  const before = readFileSync(join(outside, 'meta.json'));
  const meta = verifyModelDir(outside);
  store.addModelVersion({
    name: NAME,
    version: 1,
    parent: null,
    depth: meta.depth,
    method: null,
    sha256: meta.weightsSha256,
    metrics: {},
    dir: outside,
  });
  store.setCommitted(NAME, 1);
  assert.deepEqual(readFileSync(join(outside, 'meta.json')), before);
  assert.equal(readdirSync(home).includes('models'), false);
});

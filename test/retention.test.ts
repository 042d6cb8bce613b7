import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPORTED_SETTING } from '../src/store/settings';
import { pruneVersions, retentionPlan } from '../src/jobs/retention';
import { openStore } from '../src/store';
import { verifyModelDir, versionDir } from '../src/store/model-dirs';
import { runCli } from './helpers/cli';
import { DaemonProcess, predictZeros, testHome } from './helpers/daemon';
import { homeWithVersions } from './helpers/version-home';

const dirs = (home: string) =>
  readdirSync(join(home, 'models', 'default'))
    .filter((e) => /^v\d+$/.test(e))
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));

test('retention keeps the last N committed versions, the rollback target, the fleet desired version and what a job needs; prunes the rest', {
  timeout: 180_000,
}, (t) => {
  const h = testHome(t);
  homeWithVersions(h.home, 8);
  const store = openStore(h.home);
  t.after(() => store.close());
  store.setCommitted('default', 6); // a rollback to v6: v8 and v7 are newer
  store.setSetting(
    REPORTED_SETTING,
    JSON.stringify({
      rolloutId: 'r1',
      source: 'device',
      toDepth: 2,
      status: 'succeeded',
      jobId: null,
      depth: 2,
      modelVersion: 2,
      ts: new Date().toISOString(),
    }),
  );
  const job = store.createJob({ kind: 'rollback', trigger: 'manual', request: { version: 1 } }); // queued: still needs v1

  const plan = retentionPlan(store, 'default', 2);
  assert.deepEqual(plan.keep, [
    { version: 8, why: ['last 2'] },
    { version: 7, why: ['last 2'] },
    { version: 6, why: ['committed'] },
    { version: 5, why: ['rollback target'] },
    { version: 2, why: ['fleet desired state'] },
    { version: 1, why: ['an unfinished job'] },
  ]);
  assert.deepEqual(plan.prune, [3, 4]);

  assert.deepEqual(pruneVersions(store, 'default', 2), [3, 4]);
  assert.deepEqual(dirs(h.home), ['v1', 'v2', 'v5', 'v6', 'v7', 'v8']);
  assert.deepEqual(
    store.modelVersions('default').map((v) => v.version),
    [1, 2, 5, 6, 7, 8],
  );
  for (const v of [1, 2, 5, 6, 7, 8]) verifyModelDir(versionDir(h.home, 'default', v));
  assert.deepEqual(
    readdirSync(join(h.home, 'models', 'default')).filter((e) => e.startsWith('.v')),
    [],
    'no temporary entries left',
  );

  store.transition(job.id, 'canceled', { reason: 'test' });
  assert.deepEqual(pruneVersions(store, 'default', 2), [1], 'once the job is over, v1 goes too');
  assert.deepEqual(pruneVersions(store, 'default', 2), [], 'nothing more');
});

test('the daemon prunes to `retention` at start, and a rollback still finds its target', {
  timeout: 360_000,
}, async (t) => {
  const h = testHome(t);
  homeWithVersions(h.home, 6);
  const daemon = new DaemonProcess([], { ...h.env, DEEPEND_RETENTION: '2' });
  t.after(() => daemon.kill());
  const url = await daemon.running(270_000);
  const line = daemon.lines.find((l) => l.msg === 'old model versions pruned');
  assert.deepEqual(line?.versions, [1, 2, 3, 4]);
  assert.deepEqual(dirs(h.home), ['v5', 'v6']);
  assert.equal((await predictZeros(url)).version, '6');
  const back = await runCli(['rollback'], { env: h.env });
  assert.equal(back.code, 0, back.stderr);
  assert.equal((await predictZeros(url)).version, '5');
  assert.ok(existsSync(versionDir(h.home, 'default', 6)), 'v6 is one of the last 2');
  assert.deepEqual(await daemon.stop(), { code: 0, signal: null });
});

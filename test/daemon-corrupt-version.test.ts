import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { deviceTopics } from '../src/contract/topics';
import { openStore } from '../src/store';
import { readCurrent } from '../src/store/model-dirs';
import { runCli } from './helpers/cli';
import { DaemonProcess, predictZeros, testHome } from './helpers/daemon';
import { FleetObserver } from './helpers/fleet-observer';
import { flipBit, homeWithVersions } from './helpers/version-home';

const models = (home: string) => join(home, 'models', 'default');

test('a bit flip in the committed version: the newest intact version serves, the bad ones are quarantined, recorded and reported', {
  timeout: 540_000,
}, async (t) => {
  const h = testHome(t);
  homeWithVersions(h.home, 4);
  const bad4 = flipBit(h.home, 4);
  const bad3 = flipBit(h.home, 3);

  const daemon = new DaemonProcess([], h.env);
  t.after(() => daemon.kill());
  const url = await daemon.running(270_000);
  const served = await predictZeros(url);
  assert.equal(served.status, 200);
  assert.equal(served.version, '2', 'v4 and v3 fail their checksum: v2 is the newest intact one');

  const warn = daemon.lines.find((l) => l.msg === 'serving a fallback version: the committed one was corrupt');
  assert.ok(warn, 'the fallback is logged');
  assert.equal(warn.version, 2);
  assert.equal(warn.fromVersion, 4);

  const client = new ControlClient(h.home);
  const s = await client.ok<DaemonStatus>('GET', '/status');
  assert.equal(s.model.committed?.version, 2);
  assert.equal(s.model.fallback?.fromVersion, 4);
  assert.equal(s.model.fallback?.reason, 'corrupt');
  assert.deepEqual(
    s.model.fallback?.failed.map((f) => f.version),
    [4, 3],
  );
  assert.match(s.model.fallback!.failed[0].reason, /weights\.bin.*sha256/);

  // quarantined: moved aside byte for byte, never deleted
  assert.ok(!existsSync(join(models(h.home), 'v4')) && !existsSync(join(models(h.home), 'v3')));
  const moved = readdirSync(join(models(h.home), '.quarantine')).sort();
  assert.equal(moved.length, 2);
  assert.deepEqual(
    readFileSync(join(models(h.home), '.quarantine', moved.find((m) => m.startsWith('v4-'))!, 'weights.bin')),
    bad4,
  );
  assert.deepEqual(
    readFileSync(join(models(h.home), '.quarantine', moved.find((m) => m.startsWith('v3-'))!, 'weights.bin')),
    bad3,
  );
  assert.equal(readCurrent(h.home, 'default'), 2);

  // recorded as a rollback with reason `corrupt`
  const jobs = JSON.parse((await runCli(['jobs', '--json'], { env: h.env })).stdout) as {
    jobs: { kind: string; state: string; reason: string | null; trigger: string; result: Record<string, unknown> }[];
  };
  const rollback = jobs.jobs.find((j) => j.kind === 'rollback');
  assert.ok(rollback);
  assert.equal(rollback.state, 'succeeded');
  assert.equal(rollback.reason, 'corrupt');
  assert.equal(rollback.trigger, 'automatic');
  assert.equal(rollback.result.fromVersion, 4);

  // on the fleet: the retained birth names the fallback
  const broker = daemon.lines.find((l) => l.msg === 'embedded MQTT broker listening')!.url as string;
  const observer = await FleetObserver.connect(broker);
  t.after(() => observer.close());
  const topics = deviceTopics('default', 'test-device');
  const birth = await observer.waitFor((m) => m.topic === topics.birth && m.body !== null, 90_000, 'birth');
  assert.deepEqual((birth.body!.model as { version: number; fallback?: object }).version, 2);
  assert.deepEqual((birth.body!.model as { fallback?: object }).fallback, { fromVersion: 4, reason: 'corrupt' });

  // a quarantined version cannot be rolled back to
  const refused = await runCli(['rollback', '4'], { env: h.env });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /quarantined/);

  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });

  // a restart serves v2 with no new fallback; the rows stay, marked
  const again = new DaemonProcess([], h.env);
  t.after(() => again.kill());
  assert.equal((await predictZeros(await again.running(270_000))).version, '2');
  assert.ok(!again.lines.some((l) => l.msg === 'serving a fallback version: the committed one was corrupt'));
  assert.deepEqual(await again.stop('SIGTERM'), { code: 0, signal: null });
  const store = openStore(h.home);
  try {
    const rows = store.modelVersions('default');
    assert.deepEqual(
      rows.map((r) => [r.version, r.quarantined !== null]),
      [
        [1, false],
        [2, false],
        [3, true],
        [4, true],
      ],
    );
  } finally {
    store.close();
  }
});

test('no intact version: the start exits 1 with one line naming every version checked, and moves nothing', {
  timeout: 360_000,
}, async (t) => {
  const h = testHome(t);
  homeWithVersions(h.home, 2);
  flipBit(h.home, 2);
  flipBit(h.home, 1);
  const run = await runCli(['start'], { env: h.env, timeoutMs: 270_000 });
  assert.equal(run.code, 1);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(
    lines[0],
    /^deepend start: no intact version of model default to serve: checked v2 \(.*weights\.bin.*\); v1 \(.*weights\.bin.*\); hint: restore the versions from a backup, or import a model with deepend models import$/,
  );
  assert.ok(existsSync(join(models(h.home), 'v2')) && existsSync(join(models(h.home), 'v1')));
  assert.ok(!existsSync(join(models(h.home), '.quarantine')));
  assert.ok(!existsSync(join(h.home, 'control.sock')));
});

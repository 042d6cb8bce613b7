import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { deviceTopics } from '../src/contract/topics';
import { BIN, runCli } from './helpers/cli';
import { DaemonProcess, lineWhileJobMoves, predictZeros, testHome, waitForJob, type LogLine } from './helpers/daemon';
import { FleetObserver } from './helpers/fleet-observer';
import { SmallDisk, smallDiskSkip } from './helpers/small-disk';

const skip = smallDiskSkip();
const MB = 1024 * 1024;

/** Predicts every 100 ms until stopped; counts what was not a 200. */
function keepPredicting(url: () => string): { stop(): Promise<{ ok: number; failed: number }> } {
  let running = true;
  let ok = 0;
  let failed = 0;
  const loop = (async () => {
    while (running) {
      const r = await predictZeros(url()).catch(() => ({ status: 0 }));
      if (r.status === 200) ok++;
      else failed++;
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { ok, failed };
    },
  };
}

const crashed = (lines: LogLine[]) =>
  lines.filter((l) => l.msg === 'uncaught exception' || l.msg === 'unhandled rejection');

test('a full disk: the daemon refuses growth, survives filling in mid-growth and while reporting, stops cleanly, restarts read-only and leaves read-only by itself', {
  skip,
  // a ceiling for a hang: the waits on jobs fail as soon as a job stops moving (helpers/daemon.ts whileJobMoves)
  timeout: 900_000,
}, async (t) => {
  const disk = new SmallDisk(24 * MB);
  t.after(() => disk.unmount());
  const h = testHome(t);
  const env = { ...h.env, DEEPEND_HOME: join(disk.dir, 'home') };
  const home = env.DEEPEND_HOME;
  const client = new ControlClient(home);
  let daemon = new DaemonProcess([], env);
  t.after(() => daemon.kill());
  let url = await daemon.running(270_000);
  const broker = () => daemon.lines.filter((l) => l.msg === 'embedded MQTT broker listening').at(-1)!.url as string;
  const topics = deviceTopics('default', 'test-device');

  await t.test('before a job: too little space refuses it with one line naming free and needed bytes', async () => {
    disk.fill(512 * 1024);
    try {
      const deepen = await runCli(['deepen', '--to-depth', '3', '--wait', '--json'], { env });
      assert.notEqual(deepen.code, 0);
      const { job } = JSON.parse(deepen.stdout) as { job: { state: string; reason: string } };
      assert.equal(job.state, 'rejected');
      const m = /^not enough disk space to grow: (\d+) bytes free in (.*), (\d+) needed$/.exec(job.reason);
      assert.ok(m, job.reason);
      assert.equal(m[2], home);
      assert.ok(Number(m[1]) < Number(m[3]) && Number(m[1]) > 0);
      assert.equal((await predictZeros(url)).status, 200);
    } finally {
      disk.free();
    }
  });

  await t.test(
    'filled in the middle of a growth: the job fails (written once space returns), serving never stops, the fleet gets every report',
    async () => {
      const observer = await FleetObserver.connect(broker());
      t.after(() => observer.close());
      const predicting = keepPredicting(() => url);
      // stopped on failure too: a loop left running keeps the test file from ever exiting
      t.after(async () => {
        await predicting.stop();
      });
      const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', { toDepth: 3 });
      await lineWhileJobMoves(daemon, client, job.id, (l) => l.msg === 'job progress' && l.job === job.id);
      disk.fill();
      // a report made while the outbox cannot be written is held in memory
      await observer.publish(topics.command('rebirth'), { commandId: 'rebirth-full' });
      // the growth cannot save its candidate; its end cannot be written either
      await lineWhileJobMoves(
        daemon,
        client,
        job.id,
        (l) => (l.msg === 'job runner error' || l.msg === 'job failed') && l.job === job.id,
        360_000,
      );
      await new Promise((r) => setTimeout(r, 2000));
      assert.deepEqual(crashed(daemon.lines), []);
      assert.equal((await predictZeros(url)).status, 200, 'serving while the disk is full');
      disk.free();
      const ended = await waitForJob(client, job.id, 120_000, daemon);
      assert.equal(ended.state, 'failed', ended.reason ?? '');
      const counts = await predicting.stop();
      assert.equal(counts.failed, 0, `predictions failed during the fill: ${JSON.stringify(counts)}`);
      assert.ok(counts.ok > 20);
      const final = await observer.waitFor(
        (m) => m.topic === topics.job(job.id) && m.body?.status === 'failed',
        90_000,
        'the failed job report',
      );
      assert.equal(final.problem, undefined);
      await observer.waitFor(
        (m) => m.topic === topics.reply && m.body?.commandId === 'rebirth-full',
        90_000,
        'the reply held while the disk was full',
      );
      assert.deepEqual(crashed(daemon.lines), []);
      const s = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(s.model.servingVersion, 1, 'the failed growth changed nothing');
    },
  );

  await t.test('a stop on a full disk is clean: exit 0, control.sock removed', async () => {
    disk.fill();
    assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null }, daemon.stderr);
    assert.ok(!existsSync(join(home, 'control.sock')));
    assert.deepEqual(crashed(daemon.lines), []);
  });

  await t.test('a start on the full disk serves read-only and says so in status, /healthz and the birth', async () => {
    daemon = new DaemonProcess([], env);
    url = await daemon.running(270_000);
    assert.equal((await predictZeros(url)).status, 200);
    const s = await client.ok<DaemonStatus>('GET', '/status');
    assert.match(s.readOnly!.reason, /disk is full|disk I\/O|SQLITE/);
    assert.equal(s.model.servingVersion, 1);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { readOnly: { reason: string } | null };
    assert.ok(health.readOnly, '/healthz says read-only');
    const observer = await FleetObserver.connect(broker());
    t.after(() => observer.close());
    const birth = await observer.waitFor(
      (m) => m.topic === topics.birth && m.body !== null && m.body.readOnly !== undefined,
      90_000,
      'a read-only birth',
    );
    assert.match((birth.body!.readOnly as { reason: string }).reason, /disk is full|SQLITE/);
    const refused = await client.call('POST', '/deepen', { toDepth: 3 });
    assert.equal(refused.status, 409);
    assert.match(String(refused.body.error), /^read-only: /);
  });

  await t.test('space comes back: it leaves read-only by itself and takes jobs again', async () => {
    const restarts = daemon.lines.filter((l) => l.msg === 'deepend running').length;
    disk.free();
    await daemon.waitFor((l) => l.msg === 'the disk can be written again: leaving read-only', 90_000);
    const running = await daemon.waitFor(
      (l) => l.msg === 'deepend running' && daemon.lines.filter((x) => x.msg === 'deepend running').length > restarts,
      180_000,
    );
    assert.equal(running.readOnly, false);
    url = String(running.url);
    assert.equal((await predictZeros(url)).status, 200);
    const s = await client.ok<DaemonStatus>('GET', '/status');
    assert.equal(s.readOnly, null);
    const health = (await (await fetch(`${url}/healthz`)).json()) as { readOnly: unknown };
    assert.equal(health.readOnly, null);
    const accepted = await client.call('POST', '/deepen', { toDepth: 3 });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    const cancel = await runCli(['cancel'], { env });
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(
      (await waitForJob(client, (accepted.body.job as { id: string }).id, undefined, daemon)).state,
      'canceled',
    );
    assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });
    assert.deepEqual(crashed(daemon.lines), []);
  });
});

test('a log file on the disk that fills: lines are lost, the daemon goes on serving', {
  skip,
  timeout: 360_000,
}, async (t) => {
  const disk = new SmallDisk(16 * MB);
  t.after(() => disk.unmount());
  const h = testHome(t);
  const env = { ...process.env, ...h.env };
  const logFile = join(disk.dir, 'deepend.log');
  const out = openSync(logFile, 'w');
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const deadline = Date.now() + 90_000;
  while (!readFileSync(logFile, 'utf8').includes('"deepend running"')) {
    assert.ok(Date.now() < deadline, `not running: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const url = String(
    (
      JSON.parse(
        readFileSync(logFile, 'utf8')
          .split('\n')
          .find((l) => l.includes('"deepend running"'))!,
      ) as { url: string }
    ).url,
  );
  disk.fill();
  const client = new ControlClient(h.home);
  // each of these logs lines that cannot be written
  for (let i = 0; i < 5; i++) {
    await client.ok('POST', '/detect');
    await runCli(['deepen', '--to-depth', '1000'], { env: h.env });
    assert.equal((await predictZeros(url)).status, 200);
  }
  assert.equal(child.exitCode, null, `the daemon died: ${stderr}`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
});

test('a filesystem remounted read-only: the start serves read-only; remounted writable, it leaves read-only by itself', {
  skip,
  timeout: 360_000,
}, async (t) => {
  const disk = new SmallDisk(16 * MB);
  t.after(() => disk.unmount());
  const h = testHome(t);
  const env = { ...h.env, DEEPEND_HOME: join(disk.dir, 'home') };
  let daemon = new DaemonProcess([], env);
  t.after(() => daemon.kill());
  await daemon.running(270_000);
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });
  execFileSync('mount', ['-o', 'remount,ro', disk.dir]);
  daemon = new DaemonProcess([], env);
  const url = await daemon.running(270_000);
  assert.equal((await predictZeros(url)).status, 200);
  const health = (await (await fetch(`${url}/healthz`)).json()) as { readOnly: { reason: string } | null };
  assert.ok(health.readOnly, JSON.stringify(health));
  execFileSync('mount', ['-o', 'remount,rw', disk.dir]);
  await daemon.waitFor((l) => l.msg === 'the disk can be written again: leaving read-only', 90_000);
  const again = await daemon.waitFor((l) => l.msg === 'deepend running' && l.readOnly === false, 180_000);
  assert.equal((await predictZeros(String(again.url))).status, 200);
  assert.deepEqual(await daemon.stop('SIGTERM'), { code: 0, signal: null });
  assert.deepEqual(crashed(daemon.lines), []);
});

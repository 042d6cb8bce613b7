import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import type { DaemonStatus } from '../src/daemon/status';
import { runCli } from './helpers/cli';
import { DaemonProcess, lineWhileJobMoves, predictZeros, testHome, waitForJob } from './helpers/daemon';

// One home through the daemon's life: first start, an automatic upgrade after
// a hardware change, SIGTERM, restart, rollback and a manual deepen.
test('the daemon serves, upgrades when compute changes, stops cleanly and restarts on the committed model', {
  // a ceiling for a hang: the waits on jobs fail as soon as a job stops moving (helpers/daemon.ts whileJobMoves)
  timeout: 900_000,
}, async (t) => {
  const h = testHome(t, 'this-machine');
  const client = new ControlClient(h.home);
  leaveStaleSocket(join(h.home, 'control.sock'));
  // a misspelt variable is named at start with the one it was probably meant to be, and ignored
  let daemon = new DaemonProcess([], { ...h.env, DEEPEND_HTTP_PROT: '8080' });
  t.after(() => daemon.kill());

  const url = await daemon.running();
  assert.equal(
    daemon.lines.find((l) => l.variable === 'DEEPEND_HTTP_PROT')?.msg,
    'DEEPEND_HTTP_PROT is not a deepend variable: ignored (did you mean DEEPEND_HTTP_PORT?)',
  );
  await t.test('a second daemon on the same home is refused with one line', async () => {
    const second = new DaemonProcess([], h.env);
    const exit = await second.exited;
    assert.equal(exit.code, 1);
    assert.match(second.stderr, /^deepend start: a daemon is already running at .*\n$/);
  });
  await t.test('serves the shipped model and reports it through `deepend status --json`', async () => {
    const p = await predictZeros(url);
    assert.equal(p.status, 200);
    assert.equal(p.body.predictions?.[0].length, 10);
    assert.equal(p.version, '1');
    const cli = await runCli(['status', '--json'], { env: h.env });
    assert.equal(cli.code, 0, cli.stderr);
    const s = JSON.parse(cli.stdout) as DaemonStatus;
    assert.ok(s.backend && s.backend.name.length > 0);
    assert.equal(s.device.id, 'test-device');
    assert.equal(s.model.servingVersion, 1);
    assert.equal(s.model.committed?.depth, 2);
    assert.equal(s.policy?.rule?.name, 'small');
    assert.equal(s.job, null);
    assert.equal(s.http?.url, url);
    assert.ok(existsSync(join(h.home, 'control.sock')));
  });
  await t.test('the embedded broker is spoken to in its own MQTT 3.1.1, with no fallback from 5', async () => {
    const connected = await daemon.waitFor((l) => l.msg === 'connected to the MQTT broker');
    assert.equal(connected.protocol, 'MQTT 3.1.1');
    assert.deepEqual(
      daemon.lines.filter((l) => /MQTT 5/.test(String(l.msg))),
      [],
    );
  });

  await t.test(
    'a hardware change whose rule asks for more depth queues an automatic upgrade that commits',
    async () => {
      const unchanged = await client.ok<{ changed: boolean; decision: { action: string } }>('POST', '/detect');
      assert.equal(unchanged.changed, false);
      assert.equal(unchanged.decision.action, 'none');
      h.setHardware('x86-rtx4090');
      const detected = await client.ok<{ changed: boolean; rule: string; job: { id: string; trigger: string } | null }>(
        'POST',
        '/detect',
      );
      assert.equal(detected.changed, true);
      assert.equal(detected.rule, 'big');
      assert.ok(detected.job, 'an automatic job was queued');
      assert.equal(detected.job.trigger, 'automatic');
      const job = await waitForJob(client, detected.job.id, undefined, daemon);
      assert.equal(job.state, 'succeeded', job.reason ?? '');
      const s = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(s.model.servingVersion, 2);
      assert.equal(s.model.committed?.depth, 3);
      assert.equal((await predictZeros(url)).version, '2');
      const again = await client.ok<{ decision: { action: string } }>('POST', '/detect');
      assert.equal(again.decision.action, 'none', 'the same compute does not upgrade twice');
    },
  );

  await t.test(
    'SIGTERM stops it with exit 0 and removes the socket; a restart serves the committed model',
    async () => {
      const exit = await daemon.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null }, daemon.stderr);
      assert.ok(daemon.lines.some((l) => l.msg === 'deepend stopped'));
      assert.ok(!existsSync(join(h.home, 'control.sock')));
      daemon = new DaemonProcess([], h.env);
      const url2 = await daemon.running();
      const p = await predictZeros(url2);
      assert.equal(p.status, 200);
      assert.equal(p.version, '2');
      assert.ok(
        !daemon.lines.some((l) => l.msg === 'automatic upgrade queued'),
        'no new upgrade for unchanged compute',
      );
    },
  );

  await t.test('`deepend rollback 1` then `deepend deepen --to-depth 3 --wait`', async () => {
    const back = await runCli(['rollback', '1'], { env: h.env });
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await client.ok<DaemonStatus>('GET', '/status')).model.servingVersion, 1);
    const deepen = await runCli(['deepen', '--to-depth', '3', '--wait'], { env: h.env, timeoutMs: 600_000 });
    assert.equal(deepen.code, 0, deepen.stderr);
    assert.match(deepen.stdout, /succeeded/);
    const s = await client.ok<DaemonStatus>('GET', '/status');
    assert.equal(s.model.committed?.depth, 3);
    assert.equal(s.model.servingVersion, s.model.committed?.version);
    // `deepend jobs` and the daemon's log say what the commit did, in the same words
    const outcome = new RegExp(
      `^\\d+\\.\\d\\d% -> \\d+\\.\\d\\d% \\([+-]\\d+\\.\\d\\d\\), committed as v${s.model.committed?.version}$`,
    );
    const logged = daemon.lines.filter((l) => l.msg === 'job succeeded' && l.kind === 'upgrade').at(-1);
    assert.match(String(logged?.outcome), outcome, JSON.stringify(logged));
    const jobs = await runCli(['jobs'], { env: h.env });
    assert.equal(jobs.code, 0, jobs.stderr);
    const [header, newest] = jobs.stdout.split('\n');
    assert.match(header, /^JOB\s+KIND\s+TRIGGER\s+STATE\s+CREATED\s+OUTCOME$/);
    assert.equal(newest.slice(header.indexOf('OUTCOME')), logged?.outcome);
    const nothing = await runCli(['deepen', '--to-depth', '3', '--wait'], { env: h.env, timeoutMs: 600_000 });
    assert.notEqual(nothing.code, 0, 'a job that ends rejected exits non-zero');
    assert.match(nothing.stdout + nothing.stderr, /nothing to do/);
  });

  await t.test('SIGTERM during growth parks the job; the next start resumes it to the end', async () => {
    const queued = await runCli(['deepen', '--to-depth', '4', '--json'], { env: h.env });
    assert.equal(queued.code, 0, queued.stderr);
    const { job } = JSON.parse(queued.stdout) as { job: { id: string } };
    await lineWhileJobMoves(daemon, client, job.id, (l) => l.msg === 'job progress' && l.job === job.id);
    const exit = await daemon.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, daemon.stderr);
    // the job was parked before the fleet link stopped: the last job report says so, and it went out
    const db = new Database(join(h.home, 'deepend.db'), { readonly: true });
    const reports = db
      .prepare(`SELECT payload, sent_at FROM outbox WHERE topic LIKE '%/jobs/' || ? ORDER BY id`)
      .all(job.id) as { payload: string; sent_at: string | null }[];
    db.close();
    const last = reports.at(-1);
    assert.ok(last, 'the job was reported');
    assert.deepEqual(
      { status: JSON.parse(last.payload).status, step: JSON.parse(last.payload).step, sent: last.sent_at !== null },
      { status: 'queued', step: 'parked', sent: true },
    );
    daemon = new DaemonProcess([], h.env);
    await daemon.running();
    // one Stage II epoch may or may not pass this gate from depth 3: either way the job ran to a gate decision
    const ended = await waitForJob(client, job.id, undefined, daemon);
    assert.ok(ended.state === 'succeeded' || ended.state === 'rejected', `${ended.state}: ${ended.reason}`);
    if (ended.state === 'succeeded') assert.equal(ended.reason, null, 'the parked reason went when the job resumed');
    else assert.match(String(ended.reason), /^gate not met/);
    const { transitions } = await client.ok<{
      transitions: { from: string | null; to: string; detail: { parked?: boolean } }[];
    }>('GET', `/jobs/${job.id}`);
    const parked = transitions.findIndex(
      (tr) => tr.from === 'growing' && tr.to === 'queued' && tr.detail.parked === true,
    );
    assert.ok(parked > 0, 'the stop parked the growing job');
    assert.ok(
      transitions.slice(parked).some((tr) => tr.to === 'growing'),
      'the restart grew it again',
    );
    assert.equal(transitions.filter((tr) => ['succeeded', 'rejected', 'failed', 'canceled'].includes(tr.to)).length, 1);
    const s = await client.ok<DaemonStatus>('GET', '/status');
    assert.equal(s.model.servingVersion, s.model.committed?.version);
    assert.equal(s.model.committed?.depth, ended.state === 'succeeded' ? 4 : 3);
  });

  await t.test(
    'Ctrl-C stops `deepend deepen --wait` (130), the job goes on; `deepend cancel` ends it as canceled; the committed model keeps serving',
    async () => {
      const before = await client.ok<DaemonStatus>('GET', '/status');
      const depth = before.model.committed?.depth ?? 3;
      const earlier = new Set(daemon.lines.filter((l) => l.msg === 'job queued').map((l) => l.job));
      let interrupt!: (s: NodeJS.Signals) => void;
      const waiting = runCli(['deepen', '--to-depth', String(depth + 1), '--wait'], {
        env: h.env,
        onStart: (kill) => (interrupt = kill),
      });
      const queued = await daemon.waitFor((l) => l.msg === 'job queued' && !earlier.has(l.job));
      const job = { id: String(queued.job) };
      await lineWhileJobMoves(daemon, client, job.id, (l) => l.msg === 'job progress' && l.job === job.id);
      interrupt('SIGINT');
      const stopped = await waiting;
      assert.equal(stopped.code, 130, stopped.stderr);
      assert.equal(
        stopped.stderr.trim().split('\n').at(-1),
        `deepend deepen: stopped waiting; job ${job.id} goes on in the daemon (deepend jobs)`,
      );
      const cancel = await runCli(['cancel'], { env: h.env });
      assert.equal(cancel.code, 0, cancel.stderr);
      assert.match(cancel.stdout, new RegExp(`job ${job.id} canceled`));
      const after = await client.ok<DaemonStatus>('GET', '/status');
      assert.equal(after.model.committed?.version, before.model.committed?.version);
      assert.equal(after.model.servingVersion, before.model.committed?.version);
      const again = await runCli(['cancel'], { env: h.env });
      assert.equal(again.code, 1);
      assert.match(again.stderr.trim(), /no job is running or queued/);
    },
  );

  const exit = await daemon.stop('SIGTERM');
  assert.equal(exit.code, 0, daemon.stderr);
});

/** The socket file a SIGKILLed daemon leaves: it exists, nothing listens. */
function leaveStaleSocket(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  spawnSync(
    process.execPath,
    ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`],
    { stdio: 'ignore' },
  );
  assert.ok(existsSync(path), 'a stale socket file was left');
}

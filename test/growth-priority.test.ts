import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../src/daemon/control-client';
import { loadConfig } from '../src/config';
import { DaemonProcess, TEST_POLICY, testHome, waitForJob } from './helpers/daemon';
import { childPids, statFields } from './helpers/proc-stat';
import { DAEMON_NODE_FLAGS } from '../src/util/node-flags';

/** The nice value of each thread of process `pid` (field 19 of /proc/PID/task/TID/stat). */
function threadNices(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    const f = statFields(`${pid}/task/${tid}`);
    return f ? [Number(f[16])] : []; // undefined: the thread ended
  });
}

test('growthNice defaults to 19: growth yields the CPU unless the config says otherwise', () => {
  const { config } = loadConfig({ env: {} });
  assert.equal(config.growthNice, 19);
  assert.equal(loadConfig({ env: { DEEPEND_GROWTH_NICE: '5' } }).config.growthNice, 5);
  assert.throws(() => loadConfig({ env: { DEEPEND_GROWTH_NICE: '20' } }), /DEEPEND_GROWTH_NICE=20/);
});

test("the config's growthNice reaches every thread of the growth process, and the daemon's own keep the daemon's; the daemon runs in V8's memory-saving mode, its growth process does not", {
  skip: process.platform !== 'linux' ? 'thread priorities are read from /proc' : false,
  timeout: 240_000,
}, async (t) => {
  const h = testHome(t, 'this-machine');
  // a budget long enough to find the growth process at work; the job is canceled once it is seen
  writeFileSync(h.policy, TEST_POLICY.replaceAll('epochs: 1', 'epochs: 20'));
  // as npm start and the systemd unit start it
  const daemon = new DaemonProcess([], { ...h.env, DEEPEND_GROWTH_NICE: '7' }, { shippedFlags: true });
  t.after(() => daemon.kill());
  await daemon.running();
  const client = new ControlClient(h.home);
  const { job } = await client.ok<{ job: { id: string } }>('POST', '/deepen', { toDepth: 3 });
  let nices: number[] = [];
  let growthArgs: string[] = [];
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    const [growth] = childPids(daemon.pid);
    // seen once TF.js has started: the growth process has reported progress
    if (growth !== undefined && daemon.lines.some((l) => l.msg === 'job progress' && l.job === job.id)) {
      nices = threadNices(growth);
      growthArgs = readFileSync(`/proc/${growth}/cmdline`, 'utf8').split('\0');
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(nices.length > 1, `the growth process and its threads were seen (${nices.length})`);
  assert.deepEqual(new Set(nices), new Set([7]), `thread nice values ${nices.join(', ')}`);
  assert.deepEqual(
    new Set(threadNices(daemon.pid)),
    new Set([getPriority()]),
    'the daemon runs at the nice it was started with',
  );
  const daemonArgs = readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8').split('\0');
  for (const flag of DAEMON_NODE_FLAGS) {
    assert.ok(daemonArgs.includes(flag), `the daemon's command line: ${daemonArgs.join(' ')}`);
    assert.ok(!growthArgs.includes(flag), `the growth process's command line: ${growthArgs.join(' ')}`);
  }
  assert.ok(!daemon.lines.some((l) => l.msg === 'V8 memory-saving mode is off'));
  await client.ok('POST', '/cancel', { jobId: job.id });
  assert.equal((await waitForJob(client, job.id, 60_000, daemon)).state, 'canceled');
  assert.equal((await daemon.stop()).code, 0);
});

/** Running as another user needs root; CI runs as root, so there it is never skipped. */
function otherUserSkip(): string | false {
  if (process.getuid?.() === 0) return false;
  if (process.env.CI === 'true')
    throw new Error('this test runs a process as nobody, which needs root: CI runs as root');
  return 'needs root to run a process as another user';
}

test('without the right to raise priority, a growthNice below the current nice is refused, the threads keep theirs, and the growth process tells the daemon', {
  skip: process.platform !== 'linux' ? 'thread priorities are Linux' : otherUserSkip(),
  timeout: 60_000,
}, () => {
  const priority = join(__dirname, '../src/jobs/growth-priority.js');
  const growth = join(__dirname, '../src/jobs/grow-process.js');
  // the real growth process, told nice 0 and a parent that does not exist: it warns, then fails to load it
  const script = `const { setGrowthPriority } = require(${JSON.stringify(priority)});
const { startGrowth } = require(${JSON.stringify(growth)});
const ok = setGrowthPriority(0);
const nices = require('node:fs').readdirSync('/proc/self/task').map((t) => require('node:os').getPriority(Number(t)));
const warnings = [];
const input = { parentDir: '/nonexistent/v1', candidateDir: '/nonexistent/c', data: 'mnist', nice: 0, toDepth: 3,
  method: 'dils', budget: { epochs: 1 }, backend: 'cpu' };
startGrowth(input, () => {}, (w) => warnings.push(w)).result.then((outcome) =>
  process.stdout.write(JSON.stringify({ ok, nices: [...new Set(nices)], warnings, outcome: outcome.kind })));`;
  // nobody (65534) has no CAP_SYS_NICE and a nice limit of 0: it may lower its priority, never raise it
  const run = spawnSync('nice', ['-n', '10', process.execPath, '-e', script], {
    uid: 65534,
    gid: 65534,
    encoding: 'utf8',
    timeout: 50_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const seen = JSON.parse(run.stdout) as { ok: boolean; nices: number[]; warnings: string[]; outcome: string };
  assert.deepEqual(
    { ok: seen.ok, nices: seen.nices, outcome: seen.outcome },
    { ok: false, nices: [10], outcome: 'failed' },
  );
  assert.equal(seen.warnings.length, 1, JSON.stringify(seen.warnings));
  assert.match(seen.warnings[0], /^nice 0 was not set on every thread .*CAP_SYS_NICE.*; growth runs at nice 10$/);
  assert.equal(run.stderr, '', 'the warning reaches the daemon as a message, not as a line on its stderr');
});
